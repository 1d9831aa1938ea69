import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, RequireScopes, type Principal, RateLimit } from '../../gateway';
import { ImageRepository } from '../../persistence';
import { ImageEventStreams, imageNotFound } from './image-event-streams';

@ApiTags('images')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/images/:id/events')
export class ImageEventsController {
  constructor(
    private readonly images: ImageRepository,
    private readonly streams: ImageEventStreams,
  ) {}

  @Get()
  @RequireScopes('images:read')
  @RateLimit('reads')
  @ApiOperation({
    summary: "Server-sent events of an image's processing",
    description:
      'First `state` (the image as it is now, with its predictions), then `prediction` and ' +
      '`status` events as they happen; the stream ends once the image is processed or failed. ' +
      'A comment line is sent as a heartbeat (SSE_HEARTBEAT_MS).',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'An event stream.',
    schema: { type: 'string', description: 'Server-sent events: `state`, `status`, `prediction`.' },
  })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const image = await this.images.findByIdForOwner(id, principal.ownerId);
    if (!image) throw imageNotFound();
    await this.streams.stream(image, request, reply);
  }
}
