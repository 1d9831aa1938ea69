import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { Clock } from '../../../common/clock';
import { AppConfig } from '../../../config';
import { Broadcaster } from '../../broadcast/broadcaster';
import { ApiKeyRecord, ApiKeyRepository, UserRepository } from '../../persistence';
import { generateApiKey } from '../auth/api-key';
import {
  hasScope,
  KEY_RATE_LIMIT_CLASSES,
  Principal,
  RateLimitClass,
  Scope,
} from '../auth/principal';
import { defaultRateLimits, rateLimitOf } from '../rate-limit/default-rate-limits';

export interface CreateApiKeyInput {
  name: string;
  scopes: Scope[];
  ownerId?: string;
  expiresAt?: Date;
  rateLimits?: Partial<Record<RateLimitClass, number>>;
}

export type ApiKeyView = Omit<ApiKeyRecord, 'secretHash'>;

/**
 * API keys owned by a user; admins manage anyone's. Keys are managed from a login session
 * or with the `admin` scope, and a key never gets more than its creator has: scopes, rate
 * limits (unset ones are inherited) or lifetime (it expires when its creator does, at the
 * latest).
 */
@Injectable()
export class ApiKeyService {
  private readonly defaultLimits: Record<RateLimitClass, number>;

  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly users: UserRepository,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.defaultLimits = defaultRateLimits(config);
  }

  /** The answer holds the whole key, once; only its hash is kept. */
  async create(caller: Principal, input: CreateApiKeyInput): Promise<ApiKeyView & { key: string }> {
    assertManagesKeys(caller);
    const ownerId = input.ownerId ?? caller.ownerId;
    if (ownerId !== caller.ownerId) {
      if (!hasScope(caller, 'admin')) throw ownerNotFound();
      if (!(await this.users.findById(ownerId))) throw ownerNotFound();
    }
    const beyond = input.scopes.filter((scope) => !hasScope(caller, scope));
    if (beyond.length > 0) {
      throw escalation('scope', `You cannot grant scopes you do not hold: ${beyond.join(', ')}`);
    }
    const generated = generateApiKey();
    const record = await this.apiKeys.create({
      ownerId,
      name: input.name,
      prefix: generated.prefix,
      secretHash: generated.secretHash,
      scopes: input.scopes,
      expiresAt: expiryWithin(caller, input.expiresAt, this.clock.now()),
      rateLimits: this.rateLimitsWithin(caller, input.rateLimits),
    });
    return { ...view(record), key: generated.key };
  }

  async list(caller: Principal): Promise<ApiKeyView[]> {
    return (await this.apiKeys.listForOwner(caller.ownerId)).map(view);
  }

  /** Revocation is heard by every replica at once; another owner's key is a 404. */
  async revoke(caller: Principal, id: string): Promise<void> {
    assertManagesKeys(caller);
    const key = await this.apiKeys.findById(id);
    if (!key || (key.ownerId !== caller.ownerId && !hasScope(caller, 'admin'))) {
      throw new AppError(HttpStatus.NOT_FOUND, 'api_key_not_found', 'No such API key');
    }
    await this.apiKeys.revoke(id);
    await this.broadcaster.publish('credentials-changed', { keyId: id });
  }

  /** The asked limits, none above the caller's own; the caller's own where none is asked. */
  private rateLimitsWithin(
    caller: Principal,
    asked: CreateApiKeyInput['rateLimits'] = {},
  ): Partial<Record<RateLimitClass, number>> | null {
    const limits: Partial<Record<RateLimitClass, number>> = {};
    const beyond: string[] = [];
    for (const routeClass of KEY_RATE_LIMIT_CLASSES) {
      const ceiling = rateLimitOf(caller, routeClass, this.defaultLimits);
      const limit = asked[routeClass] ?? caller.rateLimits?.[routeClass];
      if (limit !== undefined && limit > ceiling) beyond.push(`${routeClass} (${ceiling}/min)`);
      if (limit !== undefined) limits[routeClass] = limit;
    }
    if (beyond.length > 0) {
      throw escalation(
        'rate_limit',
        `You cannot grant more than your own limits: ${beyond.join(', ')}`,
      );
    }
    return Object.keys(limits).length > 0 ? limits : null;
  }
}

/** An API key acting alone (a leaked one, say) may not mint or revoke keys. */
function assertManagesKeys(caller: Principal): void {
  if (caller.kind === 'user' || hasScope(caller, 'admin')) return;
  throw new AppError(
    HttpStatus.FORBIDDEN,
    'session_required',
    'Managing API keys needs a login session or the admin scope',
  );
}

/** The asked expiry, no later than the caller's own; the caller's own when none is asked. */
function expiryWithin(caller: Principal, asked: Date | undefined, now: number): Date | null {
  if (asked && asked.getTime() <= now) {
    throw new AppError(HttpStatus.BAD_REQUEST, 'invalid_expiry', 'expiresAt must be in the future');
  }
  if (!caller.expiresAt) return asked ?? null;
  if (asked && asked > caller.expiresAt) {
    throw escalation(
      'expiry',
      `The key may not outlive yours: expiresAt must be ${caller.expiresAt.toISOString()} or earlier`,
    );
  }
  return asked ?? caller.expiresAt;
}

function escalation(what: 'scope' | 'rate_limit' | 'expiry', message: string): AppError {
  return new AppError(HttpStatus.FORBIDDEN, `${what}_escalation`, message);
}

function view({ secretHash: _secretHash, ...rest }: ApiKeyRecord): ApiKeyView {
  return rest;
}

function ownerNotFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'owner_not_found', 'No such owner');
}
