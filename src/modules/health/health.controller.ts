import { Controller, Get, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import { AppError } from '../../common/app-error';
import { Public } from '../../common/http/public.decorator';
import { AppConfig } from '../../config';
import { ReadinessChecks } from './readiness-checks';
import { ReadinessLog } from './readiness-log';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  private readonly changes = new ReadinessLog();

  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
    private readonly config: AppConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: every configured dependency answers in time (503 names the failed ones).',
  })
  async ready() {
    try {
      const result = await this.health.check(this.checks.attempts());
      this.changes.record([]);
      return { status: result.status, role: this.config.role, checks: result.details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const body = error.getResponse() as {
        error?: Record<string, unknown>;
        details?: Record<string, unknown>;
      };
      const failed = Object.keys(body.error ?? {});
      this.changes.record(failed);
      throw new AppError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'not_ready',
        `Not ready: ${failed.join(', ')} failed`,
        {
          details: { failed, checks: body.details },
        },
      );
    }
  }
}
