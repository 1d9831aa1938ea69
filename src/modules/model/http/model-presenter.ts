import type { ModelVersionRecord, Promotion, TrainingRunRecord } from '../../persistence';
import type { ModelSummary } from '../model-registry';
import type { ModelResource, ModelVersionResource, PromotionResource } from './dto/model.resource';
import type { TrainingMetricsResource, TrainingRunResource } from './dto/training-run.resource';

/** A version as clients see it: no storage keys, no row ids. */
export function presentVersion(record: ModelVersionRecord): ModelVersionResource {
  const { modelName, version, status, labels, metrics, createdAt, promotedAt, archivedAt } = record;
  return { model: modelName, version, status, labels, metrics, createdAt, promotedAt, archivedAt };
}

export function presentModel(model: ModelSummary): ModelResource {
  const { name, task, description, kind, trainingLabels, createdAt, production } = model;
  return {
    name,
    task,
    description,
    kind,
    trainingLabels,
    createdAt,
    production: production && presentVersion(production),
  };
}

export function presentPromotion({ promoted, archived }: Promotion): PromotionResource {
  return { promoted: presentVersion(promoted), archived: archived && presentVersion(archived) };
}

/** A training run, with the number of the version it made (`versions`: version id -> number). */
export function presentTrainingRun(
  run: TrainingRunRecord,
  versions: ReadonlyMap<string, number>,
): TrainingRunResource {
  const { id, modelName, status, params, metrics, sampleCount, resultVersionId, error } = run;
  const { createdAt, startedAt, finishedAt } = run;
  return {
    id,
    model: modelName,
    status,
    params,
    metrics: metrics as TrainingMetricsResource | null,
    sampleCount,
    version: resultVersionId === null ? null : (versions.get(resultVersionId) ?? null),
    error,
    createdAt,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
  };
}
