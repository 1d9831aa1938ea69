/**
 * Messages every replica (web and worker) must hear at once, one payload type per channel.
 * Producers and subscribers share these types.
 */
export interface BroadcastMessages {
  /** An API key was revoked or changed: drop it from every replica's credential cache. */
  'credentials-changed': { keyId?: string; sessionId?: string; ownerId?: string };
  /** A model's production version changed: every replica loads it. */
  'model-promoted': { model: string; version: number };
  /** Something happened to an image (its SSE streams, on whichever replica, pass it on). */
  'image-event': { imageId: string; event: 'status' | 'prediction'; data: Record<string, unknown> };
}

export type BroadcastChannel = keyof BroadcastMessages;
