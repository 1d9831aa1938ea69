import { Controller, HttpCode, HttpStatus, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config';
import { RequireScopes, RateLimit } from '../../gateway';
import { ModelServer } from '../model-server';
import { PredictQuery } from './dto/predict.query';
import { PredictResponse } from './dto/prediction.resource';
import { receiveImage } from './received-image';

const BINARY = { type: 'string', format: 'binary' } as const;

@ApiTags('models')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/predict')
export class PredictController {
  constructor(
    private readonly server: ModelServer,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @RequireScopes('predict')
  @RateLimit('predict')
  @ApiOperation({
    summary: 'Every production model (or `?model=` only) on one image; nothing is stored',
    description:
      'The image as multipart (field `file`) or as a raw image/* or application/octet-stream ' +
      'body. 400 when empty, 413 past MAX_UPLOAD_BYTES, 415 `unsupported_image` when it does ' +
      'not decode.',
  })
  @ApiConsumes('multipart/form-data', 'image/*', 'application/octet-stream')
  @ApiBody({
    schema: {
      oneOf: [{ type: 'object', required: ['file'], properties: { file: BINARY } }, BINARY],
    },
  })
  @ApiOkResponse({ type: PredictResponse })
  async predict(
    @Req() request: FastifyRequest,
    @Query() query: PredictQuery,
  ): Promise<PredictResponse> {
    const image = await receiveImage(request, this.config.http.maxUploadBytes);
    return { predictions: await this.server.predict(image, query.topK, query.model) };
  }
}
