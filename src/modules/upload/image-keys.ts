/** Where an image's bytes live in object storage. */
export function originalKey(ownerId: string, imageId: string): string {
  return `originals/${ownerId}/${imageId}`;
}

export const DERIVATIVE_CONTENT_TYPE = 'image/webp';

export function derivativeKey(ownerId: string, imageId: string): string {
  return `derivatives/${ownerId}/${imageId}.webp`;
}
