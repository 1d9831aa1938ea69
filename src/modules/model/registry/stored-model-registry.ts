import { HttpStatus, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError } from '../../../common/app-error';
import { AppConfig } from '../../../config';
import { Broadcaster } from '../../broadcast/broadcaster';
import {
  DuplicateRecordError,
  ModelRepository,
  MODEL_KINDS,
  ModelVersionRecord,
  Promotion,
  RecordNotFoundError,
} from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';
import { invalidArtifact, modelNotFound, modelVersionNotFound } from '../model-errors';
import {
  ArtifactFile,
  MODEL_NAME_PATTERN,
  ModelRegistry,
  ModelSummary,
  NewTrainableModel,
  NewVersionRequest,
} from '../model-registry';
import { ModelRuntime, MODERATION_MODEL } from '../runtime';
import { checkArtifactFiles, MODEL_JSON } from './artifact-files';
import { checkHeadArchitecture } from './head-architecture';
import { registerBundledModel } from './bundled-model';
import { MAX_LABEL_LENGTH, normalizeLabel } from '../../../common/labels';

const MAX_LABELS = 1000;
/** A classifier tells at least two labels apart; an uploaded head may have one output. */
const MIN_TRAINING_LABELS = 2;

/**
 * ModelRegistry over ModelRepository (rows) and ObjectStorage (artifacts, under
 * `models/<name>/<uuid>/`). An upload is validated in full before anything is stored; its
 * objects are written first and the row last, so a failure leaves nothing behind.
 */
@Injectable()
export class StoredModelRegistry extends ModelRegistry implements OnModuleInit {
  private readonly logger = new Logger(ModelRegistry.name);

  constructor(
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(Broadcaster) private readonly broadcaster: Broadcaster,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(ModelRuntime) private readonly runtime: ModelRuntime,
  ) {
    super();
  }

  onModuleInit(): Promise<void> {
    return registerBundledModel(this.models);
  }

  async listModels(): Promise<ModelSummary[]> {
    const [models, production] = await Promise.all([
      this.models.listModels(),
      this.models.listProduction(),
    ]);
    return models.map((model) => ({
      ...model,
      production: production.find((v) => v.modelId === model.id) ?? null,
    }));
  }

  async getModel(name: string): Promise<ModelSummary> {
    const model = await this.models.findModel(name);
    if (!model) throw modelNotFound(name);
    return { ...model, production: await this.models.findProduction(name) };
  }

  async listVersions(name: string): Promise<ModelVersionRecord[]> {
    const versions = await this.models.listVersions(name);
    if (versions.length === 0 && !(await this.models.findModel(name))) throw modelNotFound(name);
    return versions;
  }

  async createTrainable(request: NewTrainableModel): Promise<ModelSummary> {
    if (!(MODEL_KINDS as readonly string[]).includes(request.kind)) {
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'invalid_model_kind',
        `A model created without an artifact is one of: ${MODEL_KINDS.join(', ')}`,
      );
    }
    if (request.name === MODERATION_MODEL.name) throw modelExists(request.name);
    checkModelName(request.name);
    const labels =
      request.labels === undefined
        ? []
        : checkLabels(request.labels, MIN_TRAINING_LABELS, HttpStatus.BAD_REQUEST);
    const model = await this.models
      .createModel({
        name: request.name,
        task: 'classification',
        description: request.description,
        kind: request.kind,
        trainingLabels: labels,
      })
      .catch((error: Error) => {
        throw error instanceof DuplicateRecordError ? modelExists(request.name) : error;
      });
    return { ...model, production: null };
  }

  async addVersion(name: string, request: NewVersionRequest): Promise<ModelVersionRecord> {
    checkModelName(name);
    const { artifacts, parameterCount, labels: carried } = checkArtifactFiles(request.files);
    const labels = checkLabels(request.labels ?? carried, 1, HttpStatus.UNPROCESSABLE_ENTITY);
    const maxParams = this.config.model.headMaxParams;
    if (parameterCount > maxParams) {
      throw invalidArtifact(
        `The model has ${parameterCount} parameters; at most ${maxParams} are allowed`,
        'model_too_large',
      );
    }
    checkHeadArchitecture(artifacts);
    const { probeMs } = await this.runtime.checkHead(artifacts, labels.length);
    const prefix = `models/${name}/${randomUUID()}/`;
    await this.putFiles(prefix, request.files);
    try {
      await this.ensureModel(name, request);
      return await this.models.createVersion(name, {
        artifactKey: `${prefix}${MODEL_JSON}`,
        labels,
        metrics: {
          ...request.metrics,
          parameterCount,
          // The probe batch's time in an inference thread: what one full micro-batch costs.
          probeMs: Math.round(probeMs * 100) / 100,
        },
      });
    } catch (error) {
      await this.deleteFiles(prefix, request.files);
      throw error;
    }
  }

  async promote(name: string, version: number): Promise<Promotion> {
    let promotion: Promotion;
    try {
      promotion = await this.models.promote(name, version);
    } catch (error) {
      if (!(error instanceof RecordNotFoundError)) throw error;
      throw (await this.models.findModel(name))
        ? modelVersionNotFound(name, version)
        : modelNotFound(name);
    }
    await this.announce(promotion.promoted);
    return promotion;
  }

  async rollback(name: string): Promise<Promotion> {
    const [previous] = (await this.listVersions(name))
      .filter((v) => v.status === 'archived' && v.archivedAt)
      .sort((a, b) => b.archivedAt!.getTime() - a.archivedAt!.getTime());
    if (!previous) {
      throw new AppError(
        HttpStatus.CONFLICT,
        'nothing_to_roll_back',
        `Model ${name} has no earlier production version to roll back to`,
      );
    }
    return this.promote(name, previous.version);
  }

  private async ensureModel(name: string, request: NewVersionRequest): Promise<void> {
    if (await this.models.findModel(name)) return;
    await this.models
      .createModel({
        name,
        task: request.task ?? 'classification',
        description: request.description,
      })
      .catch((error: Error) => {
        // Created by a concurrent upload: the version joins it.
        if (!(error instanceof DuplicateRecordError)) throw error;
      });
  }

  private async putFiles(prefix: string, files: ArtifactFile[]): Promise<void> {
    try {
      for (const file of files) {
        await this.storage.put(`${prefix}${file.name}`, Readable.from([file.bytes]), {
          contentType: file.name === MODEL_JSON ? 'application/json' : 'application/octet-stream',
          expectedSize: file.bytes.length,
        });
      }
    } catch (error) {
      await this.deleteFiles(prefix, files);
      throw error;
    }
  }

  private async deleteFiles(prefix: string, files: ArtifactFile[]): Promise<void> {
    await Promise.all(files.map((file) => this.storage.delete(`${prefix}${file.name}`))).catch(
      (error: Error) =>
        this.logger.error(`Could not delete the objects under ${prefix}: ${error.message}`),
    );
  }

  /** Every replica loads it; one that misses the message catches up on its next resync. */
  private async announce(promoted: ModelVersionRecord): Promise<void> {
    const message = { model: promoted.modelName, version: promoted.version };
    await this.broadcaster.publish('model-promoted', message).catch((error: Error) => {
      this.logger.warn(
        `Promoted ${message.model}@${message.version}, but could not tell the other ` +
          `replicas: ${error.message}`,
      );
    });
  }
}

function checkModelName(name: string): void {
  if (name === MODERATION_MODEL.name) {
    throw invalidArtifact(
      `${name} is the bundled backbone; upload heads on its embedding under another name`,
      'bundled_model',
    );
  }
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new AppError(
      HttpStatus.BAD_REQUEST,
      'invalid_model_name',
      'A model name is 1-63 lowercase letters, digits, _ or -, starting with a letter or digit',
    );
  }
}

function modelExists(name: string): AppError {
  return new AppError(HttpStatus.CONFLICT, 'model_exists', `A model named ${name} exists`);
}

/** The labels normalized (see normalizeLabel), or `invalid_labels` with `status`. */
function checkLabels(labels: unknown, min: number, status: HttpStatus): string[] {
  const normalized =
    Array.isArray(labels) && labels.length <= MAX_LABELS
      ? labels.map((label) => (typeof label === 'string' ? normalizeLabel(label) : undefined))
      : [];
  const valid = normalized.filter((label): label is string => label !== undefined);
  if (
    valid.length < min ||
    valid.length < normalized.length ||
    new Set(valid).size < valid.length
  ) {
    throw new AppError(
      status,
      'invalid_labels',
      `Labels must be ${min}-${MAX_LABELS} distinct strings of 1-${MAX_LABEL_LENGTH} visible ` +
        'characters (compared after NFC and trimming), given with the upload or in model.json ' +
        '(userDefinedMetadata.labels)',
    );
  }
  return valid;
}
