import { Module } from '@nestjs/common';
import { ClockModule } from '../../common/clock.module';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { PersistenceModule } from '../persistence';
import { BatchCoreModule } from './batch-core.module';
import { AccountErasureService } from './privacy/account-erasure.service';
import { AccountExportService } from './privacy/account-export.service';
import { EraseAccountJob } from './privacy/erase-account.job';
import { PrivacyController } from './privacy/privacy.controller';
import { DailyReportJob } from './reports/daily-report.job';
import { DailyReportService } from './reports/daily-report.service';
import { ReportsController } from './reports/reports.controller';
import { ReportsService } from './reports/reports.service';
import { RetentionJob } from './retention/retention.job';
import { RetentionService } from './retention/retention.service';
import { StorageModule } from '../storage/storage.module';

/**
 * The data side of batch: daily reports, retention and account erasure as `@BatchJob`s (every
 * role that runs or starts batch work needs them: web checks options, workers run them).
 */
@Module({
  imports: [PersistenceModule, BroadcastModule, StorageModule, ClockModule],
  providers: [
    DailyReportService,
    DailyReportJob,
    RetentionService,
    RetentionJob,
    AccountErasureService,
    EraseAccountJob,
  ],
  exports: [AccountErasureService],
})
export class BatchDataJobsModule {}

/** Web role: reports, export and erasure routes. */
@Module({
  imports: [BatchCoreModule, BatchDataJobsModule, PersistenceModule, StorageModule],
  controllers: [ReportsController, PrivacyController],
  providers: [ReportsService, AccountExportService],
})
export class BatchDataModule {}
