import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiDefaultResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BodyLimitRouteConfig } from '../../../common/http/route-body-limit';
import { AppConfig } from '../../../config';
import { Public } from '../../../common/http/public.decorator';
import { RequireScopes, RateLimit } from '../../gateway';
import { ModelRegistry } from '../model-registry';
import { ModelServer } from '../model-server';
import { InferenceErrorDto } from './dto/inference-error.dto';
import { InferenceRequestDto } from './dto/inference-request.dto';
import { InferenceResponseDto } from './dto/inference-response.dto';
import { ModelMetadataDto } from './dto/model-metadata.dto';
import { ModelReadyDto, ServerLiveDto, ServerReadyDto } from './dto/readiness.dto';
import { ServerMetadataDto } from './dto/server-metadata.dto';
import { INFERENCE_HEADER_LENGTH, readInferenceBody } from './inference-protocol/inference-body';
import { InferenceProtocolErrorFilter } from './inference-protocol/inference-protocol-error.filter';
import { parseInferenceRequest } from './inference-protocol/inference-request';
import {
  binaryInferenceResponse,
  inferenceResponse,
} from './inference-protocol/inference-response';
import { modelMetadata } from './inference-protocol/model-metadata';
import { parseModelVersion } from './model-version-param';

const SERVER_METADATA: ServerMetadataDto = {
  name: 'vireo',
  version: '1',
  extensions: ['binary_tensor_data'],
};

/** Infer routes take bodies up to MAX_TENSOR_BYTES (a 224x224x3 FP32 tensor is ~3 MB of JSON). */
const TENSOR_BODY: BodyLimitRouteConfig = { bodyLimit: 'tensor' };

const INFER_DESCRIPTION =
  "One input: the FP32 tensor of the model's shape, or `image` (BYTES) holding " +
  'base64-encoded image files, as JSON up to MAX_TENSOR_BYTES; or the same with the binary ' +
  'tensor data extension (`application/octet-stream`, `Inference-Header-Content-Length`: the ' +
  "JSON header's length, the tensor's bytes after it). Outputs asked for with " +
  '`parameters.binary_data` come back the same way. 400 names the expected shape; 404 for ' +
  'unknown models.';

/**
 * The Open Inference Protocol (KServe V2) over REST. Health and metadata are public, as on
 * KServe and Triton; inference needs the `predict` scope. Errors answer `{ "error": "..." }`
 * (`InferenceProtocolErrorFilter`).
 */
@ApiTags('inference protocol (v2)')
@UseFilters(InferenceProtocolErrorFilter)
@ApiDefaultResponse({ type: InferenceErrorDto, description: 'Any error.' })
@Controller('v2')
export class InferenceProtocolController {
  constructor(
    private readonly server: ModelServer,
    private readonly registry: ModelRegistry,
    private readonly config: AppConfig,
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
  @RouteConfig(TENSOR_BODY)
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @RequireScopes('predict')
  @RateLimit('predict')
  @ApiOperation({ summary: 'Inference on the production version', description: INFER_DESCRIPTION })
  @ApiConsumes('application/json', 'application/octet-stream')
  @ApiBody({ type: InferenceRequestDto })
  @ApiOkResponse({ type: InferenceResponseDto })
  infer(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InferenceResponseDto | Buffer> {
    return this.runInference(name, undefined, request, reply);
  }

  @Post('models/:name/versions/:version/infer')
  @HttpCode(HttpStatus.OK)
  @RouteConfig(TENSOR_BODY)
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @RequireScopes('predict')
  @RateLimit('predict')
  @ApiOperation({
    summary: 'Inference on one version (any status)',
    description: INFER_DESCRIPTION,
  })
  @ApiConsumes('application/json', 'application/octet-stream')
  @ApiBody({ type: InferenceRequestDto })
  @ApiOkResponse({ type: InferenceResponseDto })
  inferVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InferenceResponseDto | Buffer> {
    return this.runInference(name, parseModelVersion(name, version), request, reply);
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
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<InferenceResponseDto | Buffer> {
    const model = await this.server.describe(name, version);
    const { json, binary } = await readInferenceBody(request, this.config.http.maxTensorBytes);
    const { id, input, binaryOutput } = parseInferenceRequest(json, model, binary);
    const result = await this.server.infer(name, version, input);
    const response = inferenceResponse(model, result, id ?? request.id);
    if (!binaryOutput) return response;
    const { body, headerLength } = binaryInferenceResponse(response, result.scores);
    reply.header('content-type', 'application/octet-stream');
    reply.header(INFERENCE_HEADER_LENGTH, headerLength);
    return body;
  }
}

function answerReadiness<T extends { ready: boolean }>(reply: FastifyReply, answer: T): T {
  reply.status(answer.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
  return answer;
}
