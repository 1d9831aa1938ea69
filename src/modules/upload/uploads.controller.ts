import { NoRequestBody } from '../../common/http/no-request-body.decorator';
import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequireScopes, type Principal, RateLimit } from '../gateway';
import { CreateUploadDto } from './dto/create-upload.dto';
import { UploadedImageResource } from './dto/image.resource';
import { UploadLinkResource } from './dto/upload-link.resource';
import { ImagePresenter } from './image-presenter';
import { PresignedUploadService } from './presigned-upload.service';
import { answerUpload } from './upload-answer';

@ApiTags('uploads')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScopes('images:write')
@RateLimit('uploads')
@Controller('v1/uploads')
export class UploadsController {
  constructor(
    private readonly uploads: PresignedUploadService,
    private readonly presenter: ImagePresenter,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Start an upload: a pending image and a link to PUT its bytes to',
    description:
      'With S3 the link is a presigned PUT straight to the bucket; on local disk a signed URL ' +
      'of this app. A known sha256 answers 200 with the existing image instead.',
  })
  @ApiCreatedResponse({ type: UploadLinkResource })
  @ApiOkResponse({ type: UploadedImageResource, description: 'The owner had these bytes.' })
  async start(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateUploadDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadLinkResource | UploadedImageResource> {
    const started = await this.uploads.start(principal.ownerId, body);
    if ('duplicate' in started) return answerUpload(started, this.presenter, reply);
    const { image, link } = started;
    return {
      id: image.id,
      uploadUrl: link.url,
      method: 'PUT',
      headers: link.headers,
      expiresAt: link.expiresAt,
      completeUrl: this.presenter.completeUrl(image.id),
    };
  }

  @Post(':id/complete')
  @NoRequestBody()
  @ApiOperation({
    summary: 'Check the uploaded bytes and start processing (idempotent)',
    description:
      '409 when no bytes arrived; 403, 415 or 422 (and the upload is removed) when they are ' +
      'not what was declared.',
  })
  @ApiAcceptedResponse({ type: UploadedImageResource })
  @ApiOkResponse({ type: UploadedImageResource, description: 'The owner had these bytes.' })
  async complete(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadedImageResource> {
    const outcome = await this.uploads.complete(principal.ownerId, id);
    return answerUpload(outcome, this.presenter, reply);
  }
}
