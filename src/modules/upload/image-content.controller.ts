import { applyDecorators, Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPartialContentResponse,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequireScopes, hasScope, type Principal, RateLimit } from '../gateway';
import { DeliveryQuery, wantsInline } from './dto/delivery.query';
import { ImageDeliveryService, ImageVariant } from './image-delivery.service';

const BINARY = { schema: { type: 'string', format: 'binary' } } as const;

/** The OpenAPI description shared by the routes that deliver stored bytes. */
function DeliversBytes(summary: string, contentType: string) {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiProduces(contentType),
    ApiFoundResponse({ description: 'Location: a short-lived signed GET URL.' }),
    ApiOkResponse({ ...BINARY, description: 'With ?inline=1.' }),
    ApiPartialContentResponse({ ...BINARY, description: 'With ?inline=1 and Range.' }),
  );
}

@ApiTags('images')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScopes('images:read')
@RateLimit('reads')
@Controller('v1/images/:id')
export class ImageContentController {
  constructor(private readonly delivery: ImageDeliveryService) {}

  @Get('content')
  @DeliversBytes('The original bytes: a redirect to a signed URL, or ?inline=1', 'image/*')
  content(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: DeliveryQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.deliver('original', principal, id, query, headers, reply);
  }

  @Get('thumbnail')
  @DeliversBytes('The derivative made by processing (WebP)', 'image/webp')
  thumbnail(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: DeliveryQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.deliver('thumbnail', principal, id, query, headers, reply);
  }

  private deliver(
    variant: ImageVariant,
    principal: Principal,
    id: string,
    query: DeliveryQuery,
    headers: Record<string, string | undefined>,
    reply: FastifyReply,
  ): Promise<void> {
    return this.delivery.deliver(
      principal.ownerId,
      id,
      variant,
      {
        inline: wantsInline(query),
        admin: hasScope(principal, 'admin'),
        range: headers.range,
        ifNoneMatch: headers['if-none-match'],
      },
      reply,
    );
  }
}
