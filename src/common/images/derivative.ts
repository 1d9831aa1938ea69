/** The derivative processing makes of every image (a WebP), and where it is stored. */
export const DERIVATIVE_CONTENT_TYPE = 'image/webp';

export function derivativePrefix(ownerId: string): string {
  return `derivatives/${ownerId}/`;
}

export function derivativeKey(ownerId: string, imageId: string): string {
  return `${derivativePrefix(ownerId)}${imageId}.webp`;
}
