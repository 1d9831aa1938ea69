import { NoRequestBody } from '../../../common/http/no-request-body.decorator';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config';
import { RequireScopes, RateLimit } from '../../gateway';
import { ModelRegistry } from '../model-registry';
import { type ModelKind, TrainingRunRepository } from '../../persistence';
import { boundedText } from '../../../common/http/text-fields';
import { MAX_DESCRIPTION_LENGTH, MAX_TASK_LENGTH, receiveArtifactForm } from './artifact-form';
import { CreateModelDto } from './dto/create-model.dto';
import {
  ModelListResource,
  ModelResource,
  ModelVersionListResource,
  ModelVersionResource,
  PromotionResource,
} from './dto/model.resource';
import {
  DEFAULT_TRAINING_RUNS_PAGE,
  LabelScoresResource,
  ListTrainingRunsQuery,
  TrainingRunListResource,
} from './dto/training-run.resource';
import {
  presentModel,
  presentPromotion,
  presentTrainingRun,
  presentVersion,
} from './model-presenter';
import { parseModelVersion } from './model-version-param';

@ApiTags('models')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/models')
export class ModelsController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly trainingRuns: TrainingRunRepository,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScopes('predict')
  @RateLimit('reads')
  @ApiOperation({ summary: 'Every model, with its production version' })
  @ApiOkResponse({ type: ModelListResource })
  async list(): Promise<ModelListResource> {
    return { items: (await this.registry.listModels()).map(presentModel) };
  }

  @Post()
  @RequireScopes('models:admin')
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Create a trainable classifier: a dense head on the 1280-d embedding',
    description:
      'It has no version until `train-classifier` trains one (POST /v1/admin/batch/' +
      'train-classifier `{ "model": name }`) from every labelled image whose label is in ' +
      '`labels` (every label found, when absent). 409 `model_exists`, 400 ' +
      '`invalid_model_name`, `invalid_model_kind`, `invalid_labels` (fewer than two distinct ' +
      'labels, or an empty or invisible one), `text_too_long`.',
  })
  @ApiCreatedResponse({ type: ModelResource })
  async create(@Body() body: CreateModelDto): Promise<ModelResource> {
    const { description } = body;
    return presentModel(
      await this.registry.createTrainable({
        ...body,
        kind: body.kind as ModelKind,
        ...(description !== undefined && {
          description: boundedText(description, 'description', MAX_DESCRIPTION_LENGTH),
        }),
      }),
    );
  }

  @Get(':name')
  @RequireScopes('predict')
  @RateLimit('reads')
  @ApiOperation({ summary: 'A model and its production version (404 when unknown)' })
  @ApiOkResponse({ type: ModelResource })
  async get(@Param('name') name: string): Promise<ModelResource> {
    return presentModel(await this.registry.getModel(name));
  }

  @Get(':name/versions')
  @RequireScopes('predict')
  @RateLimit('reads')
  @ApiOperation({ summary: "A model's versions, newest first" })
  @ApiOkResponse({ type: ModelVersionListResource })
  async versions(@Param('name') name: string): Promise<ModelVersionListResource> {
    return { items: (await this.registry.listVersions(name)).map(presentVersion) };
  }

  @Get(':name/training-runs')
  @RequireScopes('models:admin')
  @RateLimit('reads')
  @ApiOperation({
    summary: "A trainable model's training runs, newest first, failed ones included",
    description:
      'Each `train-classifier` run of the model: its parameters, and once succeeded its ' +
      'metrics (examples per label, loss per epoch, validation accuracy, per-label ' +
      "precision/recall/F1, confusion matrix, the promotion gate's decision, duration) and " +
      'the version it made. 404 `model_not_found` for an unknown model.',
  })
  @ApiExtraModels(LabelScoresResource)
  @ApiOkResponse({ type: TrainingRunListResource })
  async trainingRunList(
    @Param('name') name: string,
    @Query() query: ListTrainingRunsQuery,
  ): Promise<TrainingRunListResource> {
    const versions = await this.registry.listVersions(name);
    const numbers = new Map(versions.map((version) => [version.id, version.version]));
    const limit = query.limit ?? DEFAULT_TRAINING_RUNS_PAGE;
    const runs = await this.trainingRuns.listForModel(name, limit);
    return { items: runs.map((run) => presentTrainingRun(run, numbers)) };
  }

  @Post(':name/versions')
  @RequireScopes('models:admin')
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Upload a TF.js model as a new staged version (creates the model if new)',
    description:
      'Every file part is one file of the artifact, named by its filename: model.json and ' +
      'the weight shards it names. The model must take the backbone embedding ([null, 1280]) ' +
      'and output one score per label. 422 when the artifact is corrupt or does not fit ' +
      '(nothing is stored then); 413 past MAX_UPLOAD_BYTES per file.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        files: { type: 'array', items: { type: 'string', format: 'binary' } },
        labels: {
          type: 'string',
          description:
            "JSON array of label names, in output order (else model.json's " +
            'userDefinedMetadata.labels).',
          example: '["cat","dog"]',
        },
        task: { type: 'string', maxLength: MAX_TASK_LENGTH, example: 'classification' },
        description: { type: 'string', maxLength: MAX_DESCRIPTION_LENGTH },
      },
    },
  })
  @ApiCreatedResponse({ type: ModelVersionResource })
  async addVersion(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
  ): Promise<ModelVersionResource> {
    const upload = await receiveArtifactForm(request, this.config.http.maxUploadBytes);
    return presentVersion(await this.registry.addVersion(name, upload));
  }

  @Post(':name/versions/:version/promote')
  @NoRequestBody()
  @HttpCode(HttpStatus.OK)
  @RequireScopes('models:admin')
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Make a version production (every replica serves it within seconds)',
  })
  @ApiOkResponse({ type: PromotionResource })
  async promote(
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<PromotionResource> {
    return presentPromotion(await this.registry.promote(name, parseModelVersion(name, version)));
  }

  @Post(':name/rollback')
  @NoRequestBody()
  @HttpCode(HttpStatus.OK)
  @RequireScopes('models:admin')
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Promote the version that was production before the current one',
    description: '409 `nothing_to_roll_back` when there is none.',
  })
  @ApiOkResponse({ type: PromotionResource })
  async rollback(@Param('name') name: string): Promise<PromotionResource> {
    return presentPromotion(await this.registry.rollback(name));
  }
}
