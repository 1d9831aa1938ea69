import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../../common/app-error';

const challenge = (error: string) => ({
  'WWW-Authenticate': `Bearer realm="vireo", error="${error}"`,
});

/**
 * Each way a credential fails has its own code. None of them tells whether a key prefix
 * exists: an unknown prefix and a wrong secret are both `invalid_credentials`, and
 * `credentials_expired`/`credentials_revoked` are told only to a caller holding the secret.
 */
export const AuthErrors = {
  missing: () =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'missing_credentials',
      'Send an API key or an access token',
      {
        headers: { 'WWW-Authenticate': 'Bearer realm="vireo"' },
      },
    ),
  malformed: () =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'malformed_credentials',
      'The credential is not well-formed',
      {
        headers: challenge('invalid_request'),
      },
    ),
  invalid: () =>
    new AppError(HttpStatus.UNAUTHORIZED, 'invalid_credentials', 'The credential is not valid', {
      headers: challenge('invalid_token'),
    }),
  expired: () =>
    new AppError(HttpStatus.UNAUTHORIZED, 'credentials_expired', 'The credential has expired', {
      headers: challenge('invalid_token'),
    }),
  revoked: () =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'credentials_revoked',
      'The credential has been revoked',
      {
        headers: challenge('invalid_token'),
      },
    ),
  insufficientScope: (scopes: string[]) =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'insufficient_scope',
      `This needs the scope(s): ${scopes.join(', ')}`,
      {
        headers: challenge('insufficient_scope'),
      },
    ),
};
