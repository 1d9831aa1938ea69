import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { ClockModule } from '../../common/clock.module';
import { AppConfig, SigningSecret } from '../../config';
import { ReadinessRegistry } from '../health/readiness.registry';
import { PersistenceModule } from '../persistence';
import { ObjectStorage } from './object-storage';
import { createObjectStorage } from './object-storage-factory';
import { SignedObjectController } from './signed-object.controller';
import { SignedPutAdmission } from './signed-put-admission';
import { UrlSigner } from './url-signer';

class StorageReadiness implements OnModuleInit {
  constructor(
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
  ) {}

  onModuleInit(): void {
    this.readiness.register('storage', ({ signal }) => this.storage.ping(signal));
  }
}

/** Object storage: MinIO/S3 with `S3_ENDPOINT`, else files under `DATA_DIR/objects`. */
@Module({
  imports: [ClockModule],
  providers: [
    {
      provide: UrlSigner,
      inject: [SigningSecret, Clock],
      useFactory: (secret: SigningSecret, clock: Clock) => new UrlSigner(secret.value, clock),
    },
    {
      provide: ObjectStorage,
      inject: [AppConfig, UrlSigner, Clock],
      useFactory: (config: AppConfig, signer: UrlSigner, clock: Clock): ObjectStorage =>
        createObjectStorage(config, () => signer, clock),
    },
    StorageReadiness,
    SignedPutAdmission,
  ],
  exports: [ObjectStorage, UrlSigner, SignedPutAdmission],
})
export class StorageModule {}

/**
 * The signed URLs of the local-disk adapter, which the web role serves itself (S3 serves its
 * own presigned URLs).
 */
@Module({
  imports: [StorageModule, PersistenceModule],
  controllers: [SignedObjectController],
})
export class SignedObjectsModule {}
