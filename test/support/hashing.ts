import { createHash } from 'node:crypto';

/** Hex sha256 of `bytes`, as the API reports it. */
export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
