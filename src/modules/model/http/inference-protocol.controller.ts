import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiDefaultResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../../common/http/public.decorator';
import { RequireScopes } from '../../gateway/auth/auth.decorators';
import { RateLimit } from '../../gateway/rate-limit/rate-limit.decorator';
import { ModelRegistry } from '../model-registry';
import { ModelServer } from '../model-server';
import { InferenceErrorDto } from './dto/inference-error.dto';
import { InferenceRequestDto } from './dto/inference-request.dto';
import { InferenceResponseDto } from './dto/inference-response.dto';
import { ModelMetadataDto } from './dto/model-metadata.dto';
import { ModelReadyDto, ServerLiveDto, ServerReadyDto } from './dto/readiness.dto';
import { ServerMetadataDto } from './dto/server-metadata.dto';
import { parseInferenceRequest } from './inference-protocol/inference-request';
import { inferenceResponse } from './inference-protocol/inference-response';
import { modelMetadata } from './inference-protocol/model-metadata';
import { parseModelVersion } from './model-version-param';

const SERVER_METADATA: ServerMetadataDto = { name: 'vireo', version: '1', extensions: [] };

/**
 * The Open Inference Protocol (KServe V2) over REST. Health and metadata are public, as on
 * KServe and Triton; inference needs the `predict` scope. Errors answer `{ "error": "..." }`
 * (the error filter's shape for `/v2`).
 */
@ApiTags('inference protocol (v2)')
@ApiDefaultResponse({ type: InferenceErrorDto, description: 'Any error.' })
@Controller('v2')
export class InferenceProtocolController {
  constructor(
    private readonly server: ModelServer,
    private readonly registry: ModelRegistry,
  ) {}

  @Get()
  @Public()
  @RateLimit('reads')
  @ApiOperation({ summary: 'Server metadata' })
  @ApiOkResponse({ type: ServerMetadataDto })
  serverMetadata(): ServerMetadataDto {
    return SERVER_METADATA;
  }

  @Get('health/live')
  @Public()
  @ApiOperation({ summary: 'Server live: the process answers' })
  @ApiOkResponse({ type: ServerLiveDto })
  live(): ServerLiveDto {
    return { live: true };
  }

  @Get('health/ready')
  @Public()
  @ApiOperation({ summary: 'Server ready: every production model can answer (else 503)' })
  @ApiOkResponse({ type: ServerReadyDto })
  @ApiServiceUnavailableResponse({ type: ServerReadyDto })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ServerReadyDto> {
    const models = await this.registry.listModels();
    const served = models.filter((model) => model.production);
    const ready = await Promise.all(served.map((model) => this.server.isReady(model.name)));
    return answerReadiness(reply, { ready: ready.every(Boolean) });
  }

  @Get('models/:name')
  @Public()
  @RateLimit('reads')
  @ApiOperation({ summary: 'Model metadata (its production version)' })
  @ApiOkResponse({ type: ModelMetadataDto })
  modelMetadata(@Param('name') name: string): Promise<ModelMetadataDto> {
    return this.metadata(name);
  }

  @Get('models/:name/versions/:version')
  @Public()
  @RateLimit('reads')
  @ApiOperation({ summary: 'Model metadata of one version' })
  @ApiOkResponse({ type: ModelMetadataDto })
  versionMetadata(
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<ModelMetadataDto> {
    return this.metadata(name, parseModelVersion(name, version));
  }

  @Get('models/:name/ready')
  @Public()
  @RateLimit('reads')
  @ApiOperation({ summary: 'Model ready: its production version can answer (else 503)' })
  @ApiOkResponse({ type: ModelReadyDto })
  @ApiServiceUnavailableResponse({ type: ModelReadyDto })
  modelReady(
    @Param('name') name: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ModelReadyDto> {
    return this.readiness(reply, name);
  }

  @Get('models/:name/versions/:version/ready')
  @Public()
  @RateLimit('reads')
  @ApiOperation({ summary: 'Model ready: that version can answer (else 503)' })
  @ApiOkResponse({ type: ModelReadyDto })
  @ApiServiceUnavailableResponse({ type: ModelReadyDto })
  versionReady(
    @Param('name') name: string,
    @Param('version') version: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ModelReadyDto> {
    return this.readiness(reply, name, parseModelVersion(name, version));
  }

  @Post('models/:name/infer')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @RequireScopes('predict')
  @RateLimit('predict')
  @ApiOperation({
    summary: 'Inference on the production version',
    description:
      "One input: the FP32 tensor of the model's shape, or `image` (BYTES) holding " +
      'base64-encoded image files. 400 names the expected shape; 404 for unknown models.',
  })
  @ApiBody({ type: InferenceRequestDto })
  @ApiOkResponse({ type: InferenceResponseDto })
  infer(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<InferenceResponseDto> {
    return this.runInference(name, undefined, body, request.id);
  }

  @Post('models/:name/versions/:version/infer')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @RequireScopes('predict')
  @RateLimit('predict')
  @ApiOperation({ summary: 'Inference on one version (any status)' })
  @ApiBody({ type: InferenceRequestDto })
  @ApiOkResponse({ type: InferenceResponseDto })
  inferVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<InferenceResponseDto> {
    return this.runInference(name, parseModelVersion(name, version), body, request.id);
  }

  private async metadata(name: string, version?: number): Promise<ModelMetadataDto> {
    const [model, versions] = await Promise.all([
      this.server.describe(name, version),
      this.registry.listVersions(name),
    ]);
    return modelMetadata(
      model,
      versions.map((v) => v.version).sort((a, b) => a - b),
    );
  }

  private async readiness(
    reply: FastifyReply,
    name: string,
    version?: number,
  ): Promise<ModelReadyDto> {
    return answerReadiness(reply, { name, ready: await this.server.isReady(name, version) });
  }

  private async runInference(
    name: string,
    version: number | undefined,
    body: unknown,
    requestId: string,
  ): Promise<InferenceResponseDto> {
    const model = await this.server.describe(name, version);
    const { id, input } = parseInferenceRequest(body, model);
    const result = await this.server.infer(name, version, input);
    return inferenceResponse(model, result, id ?? requestId);
  }
}

function answerReadiness<T extends { ready: boolean }>(reply: FastifyReply, answer: T): T {
  reply.status(answer.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
  return answer;
}
