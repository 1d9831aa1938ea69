import { Module } from '@nestjs/common';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { PersistenceModule } from '../persistence';
import { ModelRegistry } from './model-registry';
import { ModelServer } from './model-server';
import { StoredModelRegistry } from './registry/stored-model-registry';
import { ModelRuntimeModule } from './runtime';
import { TfjsModelServer } from './serving/tfjs-model-server';
import { HeadTrainer } from './training/head-trainer';
import { StorageModule } from '../storage/storage.module';

/**
 * The model registry (versions in the database, artifacts in object storage) and the model
 * server (every production version loaded, swapped on promotion), over the model runtime.
 */
@Module({
  imports: [ModelRuntimeModule, PersistenceModule, BroadcastModule, StorageModule],
  providers: [
    { provide: ModelRegistry, useClass: StoredModelRegistry },
    { provide: ModelServer, useClass: TfjsModelServer },
    HeadTrainer,
  ],
  exports: [ModelRegistry, ModelServer, ModelRuntimeModule, HeadTrainer],
})
export class ModelModule {}
