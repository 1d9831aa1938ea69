import { Controller, Get, Header, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CurrentPrincipal,
  RateLimit,
  RequireScopes,
  hasScope,
  type Principal,
} from '../../gateway';
import { ReportsQuery, ReportsRangeQuery } from './reports.query';
import { ReportsResource } from './report.resource';
import { ReportsRequest, ReportsService } from './reports.service';

@ApiTags('reports')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get()
  @RequireScopes('images:read')
  @RateLimit('reads')
  @ApiOperation({
    summary: 'Daily reports per UTC day, as JSON or CSV',
    description:
      "Rows written by the `daily-report` batch job: the caller's own, and for an admin the " +
      'global rows (every owner) too. `format=csv` answers `text/csv` with a header row.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: ReportsResource })
  async read(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ReportsQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReportsResource | string> {
    const request = reportsRequest(principal, query);
    if (query.format !== 'csv') return this.reports.read(request);
    const csv = await this.reports.csv(request);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', 'attachment; filename="vireo-reports.csv"');
    return csv;
  }

  @Get('chart')
  @RequireScopes('images:read')
  @RateLimit('reads')
  @Header('content-type', 'image/svg+xml')
  @ApiOperation({
    summary: 'An SVG chart of daily volume and p95 latency',
    description: 'Rendered on the server; an admin sees the global rows, an owner their own.',
  })
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({ description: 'The chart, as SVG.', schema: { type: 'string' } })
  chart(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ReportsRangeQuery,
  ): Promise<string> {
    return this.reports.chart(reportsRequest(principal, query));
  }
}

function reportsRequest(principal: Principal, query: ReportsRangeQuery): ReportsRequest {
  return {
    ownerId: principal.ownerId,
    includeGlobal: hasScope(principal, 'admin'),
    from: query.from,
    to: query.to,
  };
}
