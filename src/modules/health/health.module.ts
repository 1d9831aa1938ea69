import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { ReadinessChecks } from './readiness-checks';
import { ReadinessModule } from './readiness.module';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ReadinessModule],
  controllers: [HealthController],
  providers: [ReadinessChecks],
  exports: [ReadinessChecks],
})
export class HealthModule {}
