import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ErrorEnvelopeFilter } from './common/http/error-envelope.filter';
import { LoggingModule } from './common/logging/logging.module';
import { AppConfig, ConfigModule } from './config';
import {
  BatchDataJobsModule,
  BatchDataModule,
  BatchModule,
  BatchSchedulerModule,
  BatchWorkerModule,
} from './modules/batch';
import { BroadcastModule } from './modules/broadcast/broadcast.module';
import { ConsoleModule } from './modules/console';
import { GatewayModule } from './modules/gateway';
import { HealthModule } from './modules/health/health.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { ModelModule, ModelHttpModule } from './modules/model';
import { PersistenceModule } from './modules/persistence';
import { QueueModule } from './modules/queue/queue.module';
import { RealtimeModule, RealtimeWorkerModule } from './modules/realtime';
import { SignedObjectsModule, StorageModule } from './modules/storage/storage.module';
import { UploadModule, UploadSchedulerModule, UploadWorkerModule } from './modules/upload';

type ModuleImport = Type | DynamicModule;

/**
 * The root module of every role. Infrastructure (config, logs, health, metrics, and storage
 * and the queue for their readiness checks) is always loaded; the role decides which feature
 * modules join it.
 */
@Module({})
export class AppModule {
  static forRole(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        HealthModule,
        MetricsModule,
        BroadcastModule,
        PersistenceModule,
        StorageModule,
        QueueModule,
        ...(config.runs('web') ? AppModule.webModules(config) : []),
        ...(config.runs('worker') ? AppModule.workerModules() : []),
        ...(config.runs('scheduler') ? AppModule.schedulerModules() : []),
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorEnvelopeFilter }],
    };
  }

  private static webModules(config: AppConfig): ModuleImport[] {
    return [
      ...(config.storage.kind === 'local' ? [SignedObjectsModule] : []),
      GatewayModule,
      UploadModule,
      ModelModule,
      ModelHttpModule,
      RealtimeModule,
      BatchModule,
      BatchDataModule,
      ConsoleModule,
    ];
  }

  private static workerModules(): ModuleImport[] {
    return [
      UploadWorkerModule,
      RealtimeWorkerModule,
      ModelModule,
      BatchWorkerModule,
      BatchDataJobsModule,
    ];
  }

  private static schedulerModules(): ModuleImport[] {
    return [UploadSchedulerModule, BatchSchedulerModule];
  }
}
