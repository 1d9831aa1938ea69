import { DynamicModule, Global, Inject, Module, OnModuleInit } from '@nestjs/common';
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

/**
 * Object storage: MinIO/S3 with `S3_ENDPOINT`, else files under `DATA_DIR/objects`, whose
 * signed URLs the web role serves itself (only then is SignedObjectController mounted).
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: StorageModule,
      imports: [PersistenceModule],
      controllers: servesSignedUrls(config) ? [SignedObjectController] : [],
      providers: [
        {
          provide: UrlSigner,
          inject: [SigningSecret],
          useFactory: (secret: SigningSecret) => new UrlSigner(secret.value),
        },
        {
          provide: ObjectStorage,
          inject: [UrlSigner],
          useFactory: (signer: UrlSigner) => createObjectStorage(config, () => signer),
        },
        StorageReadiness,
        SignedPutAdmission,
      ],
      exports: [ObjectStorage, UrlSigner, SignedPutAdmission],
    };
  }
}

function servesSignedUrls(config: AppConfig): boolean {
  return config.storage.kind === 'local' && config.runs('web');
}
