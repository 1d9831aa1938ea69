import type { DefaultJobOptions, QueueOptions, WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { AppConfig, RedisConfig } from '../../config';
import { MAX_STALLED_COUNT, RETENTION } from './job-policy';

/** BullMQ's production settings for Vireo, following its "going to production" guide. */

export type QueueSettings = AppConfig['queue'];

/** How soon a crashed worker's job is noticed and run again (BullMQ's defaults: 30 s each). */
export interface WorkerLock {
  lockDurationMs: number;
  stalledIntervalMs: number;
}

const PRODUCER_COMMAND_TIMEOUT_MS = 2000;

/**
 * The connection every producer shares. It fails fast when Redis is down (no offline queue,
 * one retry, a command timeout) so that `add()` rejects instead of hanging a request.
 * Resolves once connected, or after the command timeout if Redis is down at boot (the
 * readiness check then reports it, and the connection keeps retrying).
 */
export async function connectProducer(redis: RedisConfig): Promise<Redis> {
  const connection = new Redis(redis.url, {
    connectionName: `${redis.prefix}:producer`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
  });
  // Errors while connecting are reported by the adapter's listener, attached next.
  connection.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const connected = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      connection.off('ready', connected);
      resolve();
    }, PRODUCER_COMMAND_TIMEOUT_MS);
    connection.once('ready', connected);
  });
  return connection;
}

/**
 * Queues (producers) on the shared connection. They neither wait for it to be ready nor
 * check the server version first: either would make `add()` wait for Redis instead of failing.
 */
export function producerQueueOptions(
  redis: RedisConfig,
  settings: QueueSettings,
  connection: Redis,
): QueueOptions {
  return {
    connection,
    prefix: redis.prefix,
    skipWaitingForReady: true,
    skipVersionCheck: true,
    defaultJobOptions: jobOptions(settings),
  };
}

export function jobOptions(settings: QueueSettings): DefaultJobOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs },
    removeOnComplete: { age: RETENTION.completed.ageS, count: RETENTION.completed.count },
    removeOnFail: { age: RETENTION.failed.ageS, count: RETENTION.failed.count },
  };
}

/** Workers wait out Redis outages (`maxRetriesPerRequest: null`) instead of failing jobs. */
export function workerOptions(
  redis: RedisConfig,
  concurrency: number,
  lock: WorkerLock,
): WorkerOptions {
  return {
    connection: { url: redis.url, maxRetriesPerRequest: null },
    prefix: redis.prefix,
    concurrency,
    lockDuration: lock.lockDurationMs,
    stalledInterval: lock.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_COUNT,
  };
}
