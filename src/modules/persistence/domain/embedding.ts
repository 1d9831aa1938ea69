export interface EmbeddingRecord {
  imageId: string;
  /** The backbone that computed it, e.g. `mobilenet_v2`. */
  model: string;
  vector: Float32Array;
  createdAt: Date;
}

export abstract class EmbeddingRepository {
  /** Stores the image's vector for `model`, replacing an earlier one. */
  abstract upsert(imageId: string, model: string, vector: Float32Array): Promise<void>;

  abstract get(imageId: string, model: string): Promise<EmbeddingRecord | null>;
}
