/** The derivative processing makes of every image (a WebP), and where it is stored. */
export const DERIVATIVE_CONTENT_TYPE = 'image/webp';

/**
 * sharp's WebP options for the derivative. Effort 2 (default 4) halves the encode, the
 * costliest step of processing a 640x480 JPEG (16 -> 8 ms CPU, bench/pipeline.ts notes).
 */
export const DERIVATIVE_WEBP = { quality: 80, effort: 2 } as const;

export function derivativePrefix(ownerId: string): string {
  return `derivatives/${ownerId}/`;
}

export function derivativeKey(ownerId: string, imageId: string): string {
  return `${derivativePrefix(ownerId)}${imageId}.webp`;
}
