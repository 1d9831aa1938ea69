import { randomBytes } from 'node:crypto';
import { apiKeySecretMatches, hashApiKeySecret } from './api-key';

/** Refresh tokens: `vrt_<sessionId>_<secret>`; only the secret's hash is stored. */
const REFRESH_TOKEN = /^vrt_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/;

export interface RefreshTokenParts {
  sessionId: string;
  secret: string;
}

export function newRefreshSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: hashApiKeySecret(secret) };
}

export function refreshToken(sessionId: string, secret: string): string {
  return `vrt_${sessionId}_${secret}`;
}

export function parseRefreshToken(token: string): RefreshTokenParts | null {
  const match = REFRESH_TOKEN.exec(token);
  return match ? { sessionId: match[1], secret: match[2] } : null;
}

export const refreshSecretMatches = apiKeySecretMatches;
