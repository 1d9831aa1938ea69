import type { ModelVersionRecord, Promotion } from '../../persistence';
import type { ModelSummary } from '../model-registry';
import type { ModelResource, ModelVersionResource, PromotionResource } from './dto/model.resource';

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
