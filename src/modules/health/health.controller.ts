import { Controller, Get, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import { AppError } from '../../common/app-error';
import { Public } from '../../common/http/public.decorator';
import { AppConfig } from '../../config';
import { ROLES } from '../../config/settings';
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
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: every configured dependency answers in time (503 names the failed ones).',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status', 'role', 'checks'],
      properties: {
        status: { type: 'string', enum: ['ok'] },
        role: { type: 'string', enum: [...ROLES] },
        checks: { type: 'object', additionalProperties: true },
      },
    },
  })
  @ApiServiceUnavailableResponse({
    description: '`not_ready`; `details.failed` names the failed checks.',
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
