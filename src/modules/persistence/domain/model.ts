export const MODEL_VERSION_STATUSES = ['staged', 'production', 'archived'] as const;
/** At most one version per model is `production`. */
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

export type Metrics = Record<string, unknown>;

export interface ModelRecord {
  id: string;
  /** Unique; the name clients use (`/v2/models/{name}`). */
  name: string;
  task: string;
  description: string | null;
  /** `classifier`: trained from labelled images (`train-classifier`); null: uploaded heads. */
  kind: ModelKind | null;
  /** The labels a trainable model trains on; empty: every label found. */
  trainingLabels: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ModelVersionRecord {
  id: string;
  modelId: string;
  modelName: string;
  /** 1, 2, ... per model. */
  version: number;
  status: ModelVersionStatus;
  artifactKey: string;
  labels: string[];
  metrics: Metrics | null;
  createdAt: Date;
  promotedAt: Date | null;
  archivedAt: Date | null;
}

export const MODEL_KINDS = ['classifier'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface NewModel {
  name: string;
  task: string;
  description?: string;
  kind?: ModelKind;
  trainingLabels?: string[];
}

export interface NewModelVersion {
  artifactKey: string;
  labels?: string[];
  metrics?: Metrics;
}

export interface Promotion {
  promoted: ModelVersionRecord;
  /** The version that was in production until now, if another one was. */
  archived: ModelVersionRecord | null;
}

export abstract class ModelRepository {
  /** Throws `DuplicateRecordError` when the name is taken. */
  abstract createModel(model: NewModel): Promise<ModelRecord>;

  abstract findModel(name: string): Promise<ModelRecord | null>;

  abstract listModels(): Promise<ModelRecord[]>;

  /**
   * Adds a `staged` version numbered one past the model's last, atomically even when called
   * concurrently. Throws `RecordNotFoundError` when there is no such model.
   */
  abstract createVersion(modelName: string, version: NewModelVersion): Promise<ModelVersionRecord>;

  abstract findVersion(modelName: string, version: number): Promise<ModelVersionRecord | null>;

  abstract findVersionById(id: string): Promise<ModelVersionRecord | null>;

  abstract findProduction(modelName: string): Promise<ModelVersionRecord | null>;

  /** Every model's production version (what a replica loads at boot). */
  abstract listProduction(): Promise<ModelVersionRecord[]>;

  /** Newest first. */
  abstract listVersions(modelName: string): Promise<ModelVersionRecord[]>;

  abstract setMetrics(versionId: string, metrics: Metrics): Promise<ModelVersionRecord | null>;

  /**
   * In one transaction: the model's production version (if another) becomes `archived`, this one
   * `production`. Promoting an archived version rolls back to it. Throws `RecordNotFoundError`
   * when there is no such version.
   */
  abstract promote(modelName: string, version: number): Promise<Promotion>;
}
