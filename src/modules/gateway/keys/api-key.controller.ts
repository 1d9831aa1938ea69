import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';
import { ApiKeyService, ApiKeyView } from './api-key.service';

@ApiTags('keys')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/keys')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @RateLimit('keys')
  @ApiOperation({
    summary: 'Create an API key (admins: for any owner). The answer shows the key once.',
    description:
      'Needs a login session or the admin scope (403 `session_required`). The key gets no ' +
      "scope, rate limit or lifetime beyond the caller's own (403 `scope_escalation`, " +
      "`rate_limit_escalation`, `expiry_escalation`); unset limits and expiry are the caller's.",
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateApiKeyDto,
  ): Promise<ApiKeyView & { key: string }> {
    return this.keys.create(caller, body);
  }

  @Get()
  @RateLimit('reads')
  @ApiOperation({ summary: "The caller's API keys (never their secrets)." })
  @ApiOkResponse({ type: ApiKeyDto, isArray: true })
  list(@CurrentPrincipal() caller: Principal): Promise<ApiKeyView[]> {
    return this.keys.list(caller);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RateLimit('keys')
  @ApiOperation({
    summary: 'Revoke an API key; every replica refuses it from then on.',
    description: 'Needs a login session or the admin scope (403 `session_required`).',
  })
  @ApiNoContentResponse()
  revoke(
    @CurrentPrincipal() caller: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    return this.keys.revoke(caller, id);
  }
}
