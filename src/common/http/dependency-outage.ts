import { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/**
 * Network error codes, PostgreSQL SQLSTATEs (57P01-03: the server is shutting down or
 * starting) and Prisma codes (P1001/P1002/P1017: server unreachable or gone; P2024: no pool
 * connection in time) that mean a dependency cannot be reached right now.
 */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  'P1001',
  'P1002',
  'P1017',
  'P2024',
]);

/** What node-postgres, Prisma's driver adapters and the storage transport say instead of a code. */
const OUTAGE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|can't reach database server|server closed the connection|socket hang up|no response from storage|connection is closed/i;

const MAX_DEPTH = 6;

/**
 * True when `error`, or an error it wraps (`cause`, a driver adapter's error, an
 * AggregateError's list), says that a dependency (database, object storage) is unreachable.
 * Found by the outage suite (test/faults): such errors used to answer 500.
 */
export function isDependencyOutage(error: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || error === null || typeof error !== 'object') return false;
  const { code, message, cause, meta, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
    errors?: unknown;
  };
  if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
  if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
  const wrapped = [cause, meta?.driverAdapterError, ...(Array.isArray(errors) ? errors : [])];
  return wrapped.some((inner) => isDependencyOutage(inner, depth + 1));
}

/** The answer to a request that met an outage: the client may retry shortly. */
export function dependencyUnavailable(): AppError {
  return new AppError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'dependency_unavailable',
    'A service Vireo depends on (database or object storage) is unreachable; try again shortly.',
    { headers: { 'Retry-After': '5' } },
  );
}
