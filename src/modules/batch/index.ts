/**
 * The batch module's public face. To add a job: a provider class decorated `@BatchJob('name')`
 * implementing `BatchJobHandler`, in a module that AppModule loads for the web role (options
 * are checked there: 400/404 on start) and the worker role (runs happen there), e.g. listed
 * in both `webModules()` and `workerModules()`. Start runs from code with
 * `BatchLauncher.start(job, options, { requestedBy })` (import BatchCoreModule).
 */
export { BatchJob, BatchOptionsError, ChunkTakenOverError, parseBatchOptions } from './batch-job';
export type {
  BatchChunkContext,
  BatchFanOut,
  BatchFinishContext,
  BatchJobHandler,
  BatchProgress,
  BatchRunContext,
} from './batch-job';
export { BatchLauncher } from './batch-launcher';
export type { StartOptions } from './batch-launcher';
export { BatchCoreModule } from './batch-core.module';
export { BatchModule } from './batch.module';
export { BatchSchedulerModule } from './batch-scheduler.module';
export { BatchWorkerModule } from './batch-worker.module';
export { BatchDataJobsModule, BatchDataModule } from './batch-data.module';
