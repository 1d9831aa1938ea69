import type {
  Metrics,
  ModelKind,
  ModelRecord,
  ModelVersionRecord,
  Promotion,
} from '../persistence';

/** Model names are URL path segments and storage key parts. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** One file of a TF.js artifact: `model.json` or a weight shard it names. */
export interface ArtifactFile {
  name: string;
  bytes: Buffer;
}

export interface NewVersionRequest {
  files: ArtifactFile[];
  /** Output label names; required unless the model.json carries them. */
  labels?: string[];
  /** Used when the upload creates the model. */
  task?: string;
  description?: string;
  /** Recorded with the version beside what the registry measures (e.g. training metrics). */
  metrics?: Metrics;
}

/** A model that trains itself (`train-classifier`) from labelled images. */
export interface NewTrainableModel {
  name: string;
  kind: ModelKind;
  /** The labels it trains on; absent or empty: every label found. */
  labels?: string[];
  description?: string;
}

export interface ModelSummary extends ModelRecord {
  production: ModelVersionRecord | null;
}

/**
 * Models and their versions: rows in the database, artifacts in object storage. Exactly one
 * `production` version per model; promotion and rollback are atomic and broadcast to every
 * replica (`model-promoted`), which loads the new version without dropping calls in flight.
 * Throws AppError 404 for unknown models/versions, 422 `invalid_model_artifact` for an
 * artifact that does not load (nothing is stored then).
 */
export abstract class ModelRegistry {
  abstract listModels(): Promise<ModelSummary[]>;

  abstract getModel(name: string): Promise<ModelSummary>;

  /** Newest first. */
  abstract listVersions(name: string): Promise<ModelVersionRecord[]>;

  /**
   * Creates a trainable model (no version until it is trained). 409 `model_exists` when the
   * name is taken, 400 `invalid_model_name` / `invalid_model_kind` / `invalid_labels`.
   */
  abstract createTrainable(request: NewTrainableModel): Promise<ModelSummary>;

  /** Validates and stores the artifact as a new `staged` version (creating the model if new). */
  abstract addVersion(name: string, request: NewVersionRequest): Promise<ModelVersionRecord>;

  abstract promote(name: string, version: number): Promise<Promotion>;

  /** Promotes the version that was production before the current one. 409 when there is none. */
  abstract rollback(name: string): Promise<Promotion>;
}
