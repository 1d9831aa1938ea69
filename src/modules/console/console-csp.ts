import { AppConfig } from '../../config';

/**
 * The console's Content-Security-Policy: its own scripts and styles only (no inline code),
 * images from itself and from blob: URLs (thumbnails and charts fetched with the token), and
 * requests to itself, the public URL and the S3 endpoint presigned uploads go to.
 */
export function consoleContentSecurityPolicy(config: AppConfig): string {
  const uploadOrigins = new Set([new URL(config.http.publicUrl).origin]);
  if (config.storage.kind === 's3') {
    uploadOrigins.add(new URL(config.storage.publicEndpoint ?? config.storage.endpoint).origin);
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src 'self' ${[...uploadOrigins].join(' ')}`,
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
