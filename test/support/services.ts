import { randomBytes } from 'node:crypto';

/** The services this machine (and CI) runs; overridable for other machines. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A key prefix of this test run's own, so runs sharing one Redis never meet. */
export function uniqueRedisPrefix(): string {
  return `vireo-test-${randomBytes(4).toString('hex')}`;
}
