export type ActorKind = 'user' | 'api_key' | 'system';

export interface AuditEvent {
  actorKind: ActorKind;
  actorId?: string;
  ownerId?: string;
  /** Dotted verb, e.g. `api_key.revoked`, `model.promoted`. */
  action: string;
  targetType?: string;
  targetId?: string;
  requestId?: string;
  ip?: string;
  details?: Record<string, unknown>;
  at?: Date;
}

export interface AuditEntry extends Required<Pick<AuditEvent, 'actorKind' | 'action'>> {
  id: string;
  at: Date;
  actorId: string | null;
  ownerId: string | null;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

/** Append-only: entries are never changed, and outlive what they describe. */
export abstract class AuditLogRepository {
  abstract append(event: AuditEvent): Promise<AuditEntry>;

  /** Newest first. */
  abstract listForOwner(ownerId: string, limit: number): Promise<AuditEntry[]>;
}
