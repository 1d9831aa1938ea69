export { ownerObjectPrefixes, storedKeysOf } from './image-keys';
export { UploadModule } from './upload.module';
export { UploadSchedulerModule } from './upload-scheduler.module';
export { UploadWorkerModule } from './upload-worker.module';
