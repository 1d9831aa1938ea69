import { DomainError } from '../../../common/domain-error';
import { ImageRecord } from './image';

/** Image ids after `after` (exclusive) up to `through` (inclusive); open where absent. */
export interface OwnerImageRange {
  after?: string;
  through?: string;
}

export type ErasureRequester = 'self' | 'admin';

/** The record an account erasure leaves: no personal data once it completed. */
export interface AccountErasureRecord {
  id: string;
  /** The user being erased while the erasure runs; null once it completed. */
  userId: string | null;
  requestedBy: ErasureRequester;
  images: number;
  objects: number;
  requestedAt: Date;
  completedAt: Date | null;
}

/** Erasing this user would leave no enabled admin that is not being erased itself. */
export class LastAdminError extends DomainError {
  override readonly name = 'LastAdminError';
  readonly kind = 'conflict';

  constructor() {
    super('last_admin', 'This is the last admin: make another user an admin first');
  }
}

/**
 * The steps of erasing an account, each idempotent, so that a retry after a crash anywhere
 * completes the erasure.
 */
export abstract class AccountErasureRepository {
  /**
   * The user's unfinished erasure, or a new one. Null when there is neither such a user nor an
   * unfinished erasure of that id (nothing to erase). Throws `LastAdminError` rather than
   * begin erasing the last admin, also when two admins' erasures begin at once.
   */
  abstract begin(
    userId: string,
    requestedBy: ErasureRequester,
  ): Promise<AccountErasureRecord | null>;

  abstract findById(id: string): Promise<AccountErasureRecord | null>;

  /** Disables the user and deletes their API keys and sessions. */
  abstract revokeAccess(userId: string): Promise<void>;

  /**
   * Ids that cut the owner's images, in id order, into runs of `every`: the `every`-th id,
   * the 2 x `every`-th, ... (chunk boundaries of a fanned-out erasure).
   */
  abstract imageIdBounds(ownerId: string, every: number): Promise<string[]>;

  /** Up to `limit` of the owner's images with ids in (`after`, `through`], in id order. */
  abstract imagesOf(ownerId: string, range: OwnerImageRange, limit: number): Promise<ImageRecord[]>;

  /** Deletes the owner's images among `ids` (with their predictions, embeddings, duplicates). */
  abstract deleteImages(ownerId: string, ids: string[]): Promise<number>;

  /** Adds erased images and objects to the erasure's counts. */
  abstract addProgress(id: string, images: number, objects: number): Promise<void>;

  /**
   * Deletes every remaining row of the user (webhooks and deliveries, daily counters and
   * reports, audit entries about or by them), then the user.
   */
  abstract deleteAccountRows(userId: string): Promise<void>;

  /** Marks the erasure complete and forgets whose it was. */
  abstract complete(id: string): Promise<AccountErasureRecord>;
}
