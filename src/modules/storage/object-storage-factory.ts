import { Clock } from '../../common/clock';
import { AppConfig, SigningSecret } from '../../config';
import { LocalDiskStorage } from './local-disk.storage';
import { MinioStorage } from './minio.storage';
import { ObjectStorage } from './object-storage';
import { UrlSigner } from './url-signer';

/** The adapter the settings choose: S3 with `S3_ENDPOINT`, else local disk. */
export function createObjectStorage(
  config: AppConfig,
  signer: () => UrlSigner,
  clock: Clock,
): ObjectStorage {
  return config.storage.kind === 's3'
    ? new MinioStorage(config.storage, { clock })
    : new LocalDiskStorage(config.storage.root, signer(), config.http.publicUrl);
}

export interface OpenedStorage {
  storage: ObjectStorage;
  /** Where the objects live, for messages: `bucket <name>` or the directory. */
  location: string;
  close(): void;
}

/**
 * Object storage outside Nest, for the operator commands; `close` ends the S3 client's
 * connections. With `createBucket` a missing bucket is made (as on boot), else it is an error.
 */
export async function openObjectStorage(
  config: AppConfig,
  { createBucket }: { createBucket: boolean },
): Promise<OpenedStorage> {
  // The operator commands sign nothing that must expire at a test's time: the system clock.
  const clock = new Clock();
  const storage = createObjectStorage(
    config,
    () => new UrlSigner(SigningSecret.resolve(config).value, clock),
    clock,
  );
  const location =
    config.storage.kind === 's3' ? `bucket ${config.storage.bucket}` : config.storage.root;
  if (!(storage instanceof MinioStorage)) return { storage, location, close: () => undefined };
  try {
    await (createBucket ? storage.onModuleInit() : storage.ping());
  } catch (error) {
    storage.onModuleDestroy();
    throw error;
  }
  return { storage, location, close: () => storage.onModuleDestroy() };
}
