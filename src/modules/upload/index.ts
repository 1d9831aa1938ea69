export { ownerObjectPrefixes, storedKeysOf } from './image-keys';
export { UploadModule } from './upload.module';
