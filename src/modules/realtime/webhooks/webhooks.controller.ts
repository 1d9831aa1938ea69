import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, type Principal, RateLimit } from '../../gateway';
import {
  CreatedWebhookResource,
  CreateWebhookDto,
  WebhookDeliveryResource,
  WebhookResource,
} from './webhook.dto';
import { WebhookService } from './webhook.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RateLimit('reads')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post()
  @RequireScopes('images:write')
  @ApiOperation({
    summary: 'Register an endpoint for image events (Standard Webhooks); the secret is shown once',
    description:
      '422 `webhook_url_forbidden` for URLs resolving to loopback, private, link-local or ' +
      'metadata addresses (unless WEBHOOK_ALLOW_PRIVATE), `webhook_url_invalid` for anything ' +
      'but http(s).',
  })
  @ApiCreatedResponse({ type: CreatedWebhookResource })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateWebhookDto,
  ): Promise<CreatedWebhookResource> {
    return this.webhooks.create(principal.ownerId, body);
  }

  @Get()
  @RequireScopes('images:read')
  @ApiOperation({ summary: "The caller's webhooks (never their secrets)" })
  @ApiOkResponse({ type: WebhookResource, isArray: true })
  list(@CurrentPrincipal() principal: Principal): Promise<WebhookResource[]> {
    return this.webhooks.list(principal.ownerId);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireScopes('images:write')
  @ApiOperation({ summary: 'Remove a webhook and its delivery log' })
  @ApiNoContentResponse()
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(principal.ownerId, id);
  }

  @Get(':id/deliveries')
  @RequireScopes('images:read')
  @ApiOperation({ summary: 'Delivery attempts, newest first: status code, duration, error' })
  @ApiOkResponse({ type: WebhookDeliveryResource, isArray: true })
  deliveries(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<WebhookDeliveryResource[]> {
    return this.webhooks.deliveries(principal.ownerId, id);
  }
}
