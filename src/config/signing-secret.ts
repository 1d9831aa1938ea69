import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config';

/**
 * The secret behind signed app URLs and JWTs: `SIGNING_SECRET`, or else one generated once
 * and kept in `DATA_DIR/secret` (fine for one process; replicas must share a set secret).
 * It is also the DI token: inject `SigningSecret` and read `.value`.
 */
export class SigningSecret {
  constructor(readonly value: string) {}

  static resolve(config: AppConfig): SigningSecret {
    return new SigningSecret(config.auth.signingSecret ?? loadOrCreateSecret(config.dataDir));
  }
}

export function loadOrCreateSecret(dataDir: string): string {
  const path = join(dataDir, 'secret');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(path, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readFileSync(path, 'utf8').trim();
    throw error;
  }
}
