import { Injectable } from '@nestjs/common';

/** Resolves whether a signed PUT may still write to `key`. */
export type PutAdmissionCheck = (key: string) => Promise<boolean>;

/**
 * Makes the app's own signed PUT URLs (local disk) single-use where a feature wants that:
 * it registers a check for the prefix of the keys it hands links out for (uploads: refused
 * once the upload is no longer pending). Keys under no registered prefix are admitted while
 * their signature holds. S3 presigned URLs cannot be revoked; see the upload module's
 * staging keys for how that side is closed.
 */
@Injectable()
export class SignedPutAdmission {
  private readonly checks = new Map<string, PutAdmissionCheck>();

  register(prefix: string, check: PutAdmissionCheck): void {
    this.checks.set(prefix, check);
  }

  async admits(key: string): Promise<boolean> {
    for (const [prefix, check] of this.checks) {
      if (key.startsWith(prefix)) return check(key);
    }
    return true;
  }
}
