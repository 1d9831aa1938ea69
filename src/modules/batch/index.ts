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
