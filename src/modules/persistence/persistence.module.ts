import { Module } from '@nestjs/common';
import { AppConfig } from '../../config';
import { PrismaAccountErasureRepository } from './adapters/prisma-account-erasure.repository';
import { PrismaApiKeyRepository } from './adapters/prisma-api-key.repository';
import { PrismaAuditLogRepository } from './adapters/prisma-audit-log.repository';
import { PrismaDailyReportRepository } from './adapters/prisma-daily-report.repository';
import { PrismaBatchRunRepository } from './adapters/prisma-batch-run.repository';
import { PrismaDailyStatsRepository } from './adapters/prisma-daily-stats.repository';
import { PrismaEmbeddingRepository } from './adapters/prisma-embedding.repository';
import { PrismaImageProcessingRepository } from './adapters/prisma-image-processing.repository';
import { PrismaImageRepository } from './adapters/prisma-image.repository';
import { PrismaLabelRepository } from './adapters/prisma-label.repository';
import { PrismaImageScanRepository } from './adapters/prisma-image-scan.repository';
import { PrismaModelRepository } from './adapters/prisma-model.repository';
import { PrismaPredictionRepository } from './adapters/prisma-prediction.repository';
import { PrismaRetentionRepository } from './adapters/prisma-retention.repository';
import { PrismaSessionRepository } from './adapters/prisma-session.repository';
import { PrismaTrainingRunRepository } from './adapters/prisma-training-run.repository';
import { PrismaUserRepository } from './adapters/prisma-user.repository';
import { PrismaWebhookRepository } from './adapters/prisma-webhook.repository';
import { DatabaseClient } from './database/database-client';
import { DatabaseReadiness } from './database/database.readiness';
import { AccountErasureRepository } from './domain/account-erasure';
import { ApiKeyRepository } from './domain/api-key';
import { AuditLogRepository } from './domain/audit';
import { DailyReportRepository } from './domain/daily-report';
import { BatchRunRepository } from './domain/batch-run';
import { DailyStatsRepository } from './domain/daily-stats';
import { EmbeddingRepository } from './domain/embedding';
import { ImageRepository } from './domain/image';
import { ImageProcessingRepository } from './domain/image-processing';
import { LabelRepository } from './domain/label';
import { ImageScanRepository } from './domain/image-scan';
import { ModelRepository } from './domain/model';
import { PredictionRepository } from './domain/prediction';
import { RetentionRepository } from './domain/retention';
import { SessionRepository } from './domain/session';
import { TrainingRunRepository } from './domain/training-run';
import { UserRepository } from './domain/user';
import { WebhookRepository } from './domain/webhook';

const repositories = [
  { provide: ImageRepository, useClass: PrismaImageRepository },
  { provide: PredictionRepository, useClass: PrismaPredictionRepository },
  { provide: EmbeddingRepository, useClass: PrismaEmbeddingRepository },
  { provide: UserRepository, useClass: PrismaUserRepository },
  { provide: ApiKeyRepository, useClass: PrismaApiKeyRepository },
  { provide: SessionRepository, useClass: PrismaSessionRepository },
  { provide: ModelRepository, useClass: PrismaModelRepository },
  { provide: AuditLogRepository, useClass: PrismaAuditLogRepository },
  { provide: ImageProcessingRepository, useClass: PrismaImageProcessingRepository },
  { provide: DailyStatsRepository, useClass: PrismaDailyStatsRepository },
  { provide: WebhookRepository, useClass: PrismaWebhookRepository },
  { provide: LabelRepository, useClass: PrismaLabelRepository },
  { provide: TrainingRunRepository, useClass: PrismaTrainingRunRepository },
  { provide: DailyReportRepository, useClass: PrismaDailyReportRepository },
  { provide: RetentionRepository, useClass: PrismaRetentionRepository },
  { provide: AccountErasureRepository, useClass: PrismaAccountErasureRepository },
  { provide: BatchRunRepository, useClass: PrismaBatchRunRepository },
  { provide: ImageScanRepository, useClass: PrismaImageScanRepository },
];

/**
 * The database (PostgreSQL with `DATABASE_URL`, else embedded PGlite in `DATA_DIR/db`), migrated
 * on boot, behind repository ports. The Prisma client stays inside this module.
 */
@Module({
  providers: [
    {
      provide: DatabaseClient,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => DatabaseClient.open(config.database),
    },
    DatabaseReadiness,
    ...repositories,
  ],
  exports: repositories.map((repository) => repository.provide),
})
export class PersistenceModule {}
