import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { Broadcaster } from '../../broadcast/broadcaster';
import {
  AccountErasureRecord,
  AccountErasureRepository,
  ErasureRequester,
  OwnerImageRange,
} from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';
import { ownerObjectPrefixes, storedKeysOf } from '../../upload';

/** Images per chunk job of a fanned-out erasure. */
export const ERASURE_CHUNK_IMAGES = 500;
/** Images deleted per step inside a chunk (objects first, then their rows). */
const ERASURE_STEP = 50;

export interface ErasureStep {
  /** The last image id erased: where a resumed chunk carries on. */
  lastId: string;
  images: number;
  objects: number;
}

/**
 * Erases an account: every image with its objects (originals, derivatives, staging), predictions
 * and embeddings; keys, sessions, webhooks, daily counters and reports; then the user. What
 * stays is the `account_erasures` record, which once complete names nobody. Every step is
 * idempotent, so a retry after a crash anywhere completes the erasure.
 */
@Injectable()
export class AccountErasureService {
  private readonly logger = new Logger(AccountErasureService.name);

  constructor(
    private readonly erasures: AccountErasureRepository,
    private readonly storage: ObjectStorage,
    private readonly broadcaster: Broadcaster,
  ) {}

  /** The user's running erasure, or a new one; 404 `user_not_found` when there is no such user. */
  async begin(userId: string, requestedBy: ErasureRequester): Promise<AccountErasureRecord> {
    const erasure = await this.erasures.begin(userId, requestedBy);
    if (!erasure) throw new AppError(HttpStatus.NOT_FOUND, 'user_not_found', 'No such user');
    return erasure;
  }

  async find(erasureId: string): Promise<AccountErasureRecord | null> {
    return this.erasures.findById(erasureId);
  }

  /**
   * Shuts the account (no key or session works any more, on every replica) and cuts its images
   * into id ranges of `ERASURE_CHUNK_IMAGES`; the last range is open, so images that arrived
   * meanwhile go too. Null when the erasure has completed already.
   */
  async plan(erasureId: string): Promise<{ userId: string; ranges: OwnerImageRange[] } | null> {
    const erasure = await this.erasures.findById(erasureId);
    if (!erasure?.userId) return null;
    const { userId } = erasure;
    await this.erasures.revokeAccess(userId);
    await this.broadcaster.publish('credentials-changed', { ownerId: userId });
    const bounds = await this.erasures.imageIdBounds(userId, ERASURE_CHUNK_IMAGES);
    const ranges = [...bounds, undefined].map((through, i) => ({ after: bounds[i - 1], through }));
    return { userId, ranges };
  }

  /** Erases the images of one range, objects before rows, reporting after each step. */
  async eraseImages(
    erasureId: string,
    userId: string,
    range: OwnerImageRange,
    onStep: (step: ErasureStep) => Promise<void> = async () => {},
  ): Promise<void> {
    let after = range.after;
    for (;;) {
      const images = await this.erasures.imagesOf(
        userId,
        { after, through: range.through },
        ERASURE_STEP,
      );
      if (images.length === 0) return;
      const keys = images.flatMap(storedKeysOf);
      for (const key of keys) await this.storage.delete(key);
      const erased = await this.erasures.deleteImages(
        userId,
        images.map((image) => image.id),
      );
      await this.erasures.addProgress(erasureId, erased, keys.length);
      after = images.at(-1)!.id;
      await onStep({ lastId: after, images: erased, objects: keys.length });
    }
  }

  /**
   * Removes whatever objects are left under the user's prefixes (e.g. a presigned upload that
   * landed in staging), every remaining row of the user and the user; then closes the record.
   */
  async finish(erasureId: string): Promise<AccountErasureRecord | null> {
    const erasure = await this.erasures.findById(erasureId);
    if (!erasure?.userId) return erasure;
    const { userId } = erasure;
    let objects = 0;
    for (const prefix of ownerObjectPrefixes(userId)) {
      for (const object of await this.storage.list(prefix)) {
        await this.storage.delete(object.key);
        objects++;
      }
    }
    if (objects > 0) await this.erasures.addProgress(erasureId, 0, objects);
    await this.erasures.deleteAccountRows(userId);
    const done = await this.erasures.complete(erasureId);
    this.logger.log(
      `Account erasure ${done.id} complete: ${done.images} image(s), ${done.objects} object(s)`,
    );
    return done;
  }

  /** Every step in this process: for callers without the batch queue (and tests). */
  async eraseNow(erasureId: string): Promise<AccountErasureRecord | null> {
    const plan = await this.plan(erasureId);
    if (plan) {
      for (const range of plan.ranges) await this.eraseImages(erasureId, plan.userId, range);
    }
    return this.finish(erasureId);
  }
}
