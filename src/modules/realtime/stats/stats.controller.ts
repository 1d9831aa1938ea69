import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  AuthErrors,
  CurrentPrincipal,
  RequireScopes,
  hasScope,
  type Principal,
  RateLimit,
} from '../../gateway';
import { StatsQuery } from './stats.query';
import { StatsResource } from './stats.resource';
import { StatsService } from './stats.service';

@ApiTags('stats')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @RequireScopes('images:read')
  @RateLimit('reads')
  @ApiOperation({
    summary: 'Uploads, processed, failures, top labels, quarantined and latency per UTC day',
    description:
      'Live counters of the realtime pipeline; an image counts on the day its upload was ' +
      'accepted. `all=true` (admin scope) adds up every owner.',
  })
  @ApiOkResponse({ type: StatsResource })
  read(
    @CurrentPrincipal() principal: Principal,
    @Query() query: StatsQuery,
  ): Promise<StatsResource> {
    const all = query.all === 'true';
    if (all && !hasScope(principal, 'admin')) throw AuthErrors.insufficientScope(['admin']);
    return this.stats.read({
      ownerId: all ? null : principal.ownerId,
      from: query.from,
      to: query.to,
    });
  }
}
