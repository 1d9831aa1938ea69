/** Rules both adapters apply to every job, so the embedded queue behaves like BullMQ's. */

/** Finished jobs kept (for idempotent ids and inspection): the newest `count`, at most `ageS` old. */
export const RETENTION = {
  completed: { ageS: 24 * 3600, count: 1000 },
  failed: { ageS: 7 * 24 * 3600, count: 10_000 },
} as const;

/** Times a job may be recovered from a crashed worker before it fails instead. */
export const MAX_STALLED_COUNT = 1;

/** Exponential backoff: the wait before the attempt that follows failed attempt `attempt`. */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** (attempt - 1);
}

/**
 * Caller-given ids share Redis keys with generated ones, so (as BullMQ requires) they may
 * not be integers and may not contain ':'. Use e.g. `${imageId}.clean`.
 */
export function assertJobId(jobId: string): void {
  if (!/^[\w.@/-]+$/.test(jobId) || String(Number.parseInt(jobId, 10)) === jobId) {
    throw new Error(`Invalid job id "${jobId}": use letters, digits and . _ - @ /, not an integer`);
  }
}
