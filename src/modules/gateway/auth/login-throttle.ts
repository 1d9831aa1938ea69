import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { AppError } from '../../../common/app-error';
import { Clock } from '../../../common/clock';

const WINDOW_MS = 15 * 60_000;
const ATTEMPTS_PER_ACCOUNT = 10;
const ATTEMPTS_PER_CLIENT = 50;
const FREE_ATTEMPTS = 3;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 4000;

/**
 * Brute-force brake on password login, shared by every replica through the rate-limit
 * storage: past a few attempts on an account from one client IP each one waits longer, and
 * past the limit they are refused with 429 until the window ends; a client IP also has a
 * ceiling over every account. Counting the account per client keeps an attacker from
 * locking its owner out: the owner, from another address, logs in as usual.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly clock: Clock,
  ) {}

  async beforeAttempt(email: string, clientIp: string): Promise<void> {
    const [account, client] = await Promise.all([
      this.storage.increment(
        `login:account:${email.toLowerCase()}:client:${clientIp}`,
        WINDOW_MS,
        ATTEMPTS_PER_ACCOUNT,
        0,
        'login',
      ),
      this.storage.increment(
        `login:client:${clientIp}`,
        WINDOW_MS,
        ATTEMPTS_PER_CLIENT,
        0,
        'login',
      ),
    ]);
    const blocked = [account, client].find((record) => record.isBlocked);
    if (blocked) {
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_login_attempts',
        'Too many login attempts; try again later',
        {
          headers: { 'Retry-After': String(blocked.timeToBlockExpire) },
        },
      );
    }
    await this.clock.sleep(LoginThrottle.delayFor(account.totalHits));
  }

  /** 0 for the first attempts, then doubling up to a ceiling. */
  static delayFor(attempt: number): number {
    if (attempt <= FREE_ATTEMPTS) return 0;
    return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempt - FREE_ATTEMPTS - 1));
  }
}
