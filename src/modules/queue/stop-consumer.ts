import { Consumer, JobQueue } from './job-queue';

/**
 * Stops a consumer, letting its running jobs finish. When the queue backend is unreachable
 * there is nothing to finish them against (and BullMQ's graceful close would wait for Redis
 * forever), so they are abandoned instead: another worker recovers them as stalled.
 */
export async function stopConsumer(jobs: JobQueue, consumer: Consumer | undefined): Promise<void> {
  if (!consumer) return;
  const reachable = await jobs.ping().then(
    () => true,
    () => false,
  );
  await consumer.close({ force: !reachable });
}
