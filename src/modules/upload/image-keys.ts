/** Where an image's bytes live in object storage. */
export function originalKey(ownerId: string, imageId: string): string {
  return `originals/${ownerId}/${imageId}`;
}
