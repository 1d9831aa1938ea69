import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiBearerAuth,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, RequireScopes, type Principal, RateLimit } from '../gateway';
import { DirectUploadService } from './direct-upload.service';
import { ImagePageResource, ImageResource, UploadedImageResource } from './dto/image.resource';
import { ListImagesQuery } from './dto/list-images.query';
import { SetLabelDto } from './dto/label.dto';
import { ImageCatalogService } from './image-catalog.service';
import { MAX_LABEL_LENGTH } from '../../common/labels';
import { MAX_METADATA_BYTES } from './image-metadata';
import { ImagePresenter } from './image-presenter';
import { LabelsService } from './labels.service';
import { answerUpload } from './upload-answer';

@ApiTags('images')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/images')
export class ImagesController {
  constructor(
    private readonly uploads: DirectUploadService,
    private readonly catalog: ImageCatalogService,
    private readonly presenter: ImagePresenter,
    private readonly labels: LabelsService,
  ) {}

  @Post()
  @RequireScopes('images:write')
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Upload an image (multipart, streamed to storage)',
    description:
      '415 when the bytes are not a supported image, 422 when they are another type than ' +
      'declared, 413 past MAX_UPLOAD_BYTES, 400 for an empty or incomplete file.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary' },
        label: { type: 'string', maxLength: MAX_LABEL_LENGTH },
        metadata: {
          type: 'string',
          description: `A JSON object, at most ${MAX_METADATA_BYTES} bytes.`,
        },
      },
    },
  })
  @ApiAcceptedResponse({ type: UploadedImageResource, description: 'Stored; processing.' })
  @ApiOkResponse({ type: UploadedImageResource, description: 'The owner had these bytes.' })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadedImageResource> {
    const outcome = await this.uploads.upload(principal.ownerId, request);
    return answerUpload(outcome, this.presenter, reply);
  }

  @Get()
  @RequireScopes('images:read')
  @RateLimit('reads')
  @ApiOperation({ summary: 'List images, newest first' })
  @ApiOkResponse({ type: ImagePageResource })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListImagesQuery,
  ): Promise<ImagePageResource> {
    const page = await this.catalog.list(principal.ownerId, query);
    return { items: await this.presenter.presentAll(page.items), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @RequireScopes('images:read')
  @RateLimit('reads')
  @ApiOperation({ summary: 'An image: status, dimensions, predictions, links' })
  @ApiOkResponse({ type: ImageResource })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ImageResource> {
    return this.presenter.present(await this.catalog.get(principal.ownerId, id));
  }

  @Put(':id/label')
  @RequireScopes('images:write')
  @RateLimit('uploads')
  @ApiOperation({
    summary: "Set an image's ground-truth label (null clears it); what classifiers train on",
    description:
      "The owner's images (an admin: anyone's). 404 `image_not_found` for an unknown or " +
      'foreign image, 400 `invalid_label` for a blank or over-long label. Idempotent.',
  })
  @ApiOkResponse({ type: ImageResource })
  async setLabel(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: SetLabelDto,
  ): Promise<ImageResource> {
    return this.presenter.present(await this.labels.setLabel(principal, id, body.label));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireScopes('images:write')
  @RateLimit('uploads')
  @ApiOperation({ summary: 'Delete an image, its predictions and every stored object' })
  @ApiNoContentResponse()
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.catalog.delete(principal.ownerId, id);
  }
}
