import { derivativePrefix } from '../../common/images/derivative';
import { ImageRecord } from '../persistence';

export const ORIGINALS_PREFIX = 'originals/';

function originalsPrefix(ownerId: string): string {
  return `${ORIGINALS_PREFIX}${ownerId}/`;
}

/** The image id an original's key names (its last segment). */
export function imageIdOfOriginal(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Where an image's bytes live in object storage once its upload completed. */
export function originalKey(ownerId: string, imageId: string): string {
  return `${originalsPrefix(ownerId)}${imageId}`;
}

/** Where a presigned upload's link writes: never where a completed image's bytes live. */
export const STAGING_PREFIX = 'staging/';

export function stagingKey(ownerId: string, imageId: string): string {
  return `${STAGING_PREFIX}${ownerId}/${imageId}`;
}

/**
 * Every key an image may have bytes at: its own, its derivative's, and while it is pending
 * the final key, where a completion copies the bytes before the image moves there.
 */
export function storedKeysOf(image: ImageRecord): string[] {
  const keys = [image.storageKey, image.derivativeKey];
  if (image.status === 'pending') keys.push(originalKey(image.ownerId, image.id));
  return [...new Set(keys.filter((key): key is string => key !== null))];
}

/** Every prefix under which an owner's objects live: originals, derivatives, staging. */
export function ownerObjectPrefixes(ownerId: string): string[] {
  return [originalsPrefix(ownerId), derivativePrefix(ownerId), `${STAGING_PREFIX}${ownerId}/`];
}
