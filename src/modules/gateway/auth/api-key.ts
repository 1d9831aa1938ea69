import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `vir_<prefix>_<secret>`: the prefix finds the stored key, the secret proves possession. */
const API_KEY = /^vir_([A-Za-z0-9]{4,32})_([A-Za-z0-9]{16,128})$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface ApiKeyParts {
  prefix: string;
  secret: string;
}

export interface NewApiKey extends ApiKeyParts {
  /** The whole key, shown to its owner once and never stored. */
  key: string;
  secretHash: string;
}

export function parseApiKey(key: string): ApiKeyParts | null {
  const match = API_KEY.exec(key);
  return match ? { prefix: match[1], secret: match[2] } : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('vir_');
}

export function generateApiKey(): NewApiKey {
  return fromParts(randomString(10), randomString(40));
}

/** A key given by the operator (ADMIN_API_KEY), split and hashed like a generated one. */
export function apiKeyFrom(key: string): NewApiKey | null {
  const parts = parseApiKey(key);
  return parts && fromParts(parts.prefix, parts.secret);
}

/** API key secrets are long and random, so one SHA-256 is as strong as a slow hash here. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function apiKeySecretMatches(secret: string, secretHash: string): boolean {
  const given = Buffer.from(hashApiKeySecret(secret), 'hex');
  const stored = Buffer.from(secretHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

function fromParts(prefix: string, secret: string): NewApiKey {
  return { prefix, secret, key: `vir_${prefix}_${secret}`, secretHash: hashApiKeySecret(secret) };
}

function randomString(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (const byte of bytes) {
    if (byte < 248) out += ALPHABET[byte % 62];
    if (out.length === length) return out;
  }
  return out + randomString(length - out.length);
}
