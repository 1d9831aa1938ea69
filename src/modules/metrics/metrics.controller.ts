import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/http/public.decorator';
import { MetricsService } from './metrics.service';

@ApiTags('health')
@Public({ whenSetting: 'metricsPublic' })
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics of this process.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string', description: 'Prometheus text format 0.0.4.' } })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
