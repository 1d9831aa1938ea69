import type { FastifyRequest } from 'fastify';
import { looksLikeApiKey } from './api-key';

export type PresentedCredential =
  | { kind: 'api_key'; key: string }
  | { kind: 'access_token'; token: string }
  | { kind: 'malformed' }
  | { kind: 'none' };

/** What the request presents: `Authorization: Bearer <api key | JWT>` or `X-API-Key`. */
export function presentedCredential(request: FastifyRequest): PresentedCredential {
  const apiKeyHeader = request.headers['x-api-key'];
  const authorization = request.headers.authorization;
  if (typeof apiKeyHeader === 'string' && apiKeyHeader !== '') {
    return authorization ? { kind: 'malformed' } : { kind: 'api_key', key: apiKeyHeader.trim() };
  }
  if (authorization === undefined || authorization === '') return { kind: 'none' };
  const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
  if (!match) return { kind: 'malformed' };
  const token = match[1];
  return looksLikeApiKey(token) ? { kind: 'api_key', key: token } : { kind: 'access_token', token };
}
