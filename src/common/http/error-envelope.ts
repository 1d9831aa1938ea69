import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body of every error the API answers (except `/v2`, which speaks the Open Inference Protocol). */
export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

/** An error as the API answers it, before it takes the shape of its route. */
export interface RenderedError {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  details?: Record<string, unknown>;
}

/** Codes for errors that carry no code of their own (framework and parser errors). */
const CODES_BY_STATUS: Partial<Record<number, string>> = {
  [HttpStatus.BAD_REQUEST]: 'bad_request',
  [HttpStatus.UNAUTHORIZED]: 'unauthorized',
  [HttpStatus.FORBIDDEN]: 'forbidden',
  [HttpStatus.NOT_FOUND]: 'not_found',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'method_not_allowed',
  [HttpStatus.NOT_ACCEPTABLE]: 'not_acceptable',
  [HttpStatus.CONFLICT]: 'conflict',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'payload_too_large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported_media_type',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'unprocessable_entity',
  [HttpStatus.TOO_MANY_REQUESTS]: 'rate_limited',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'service_unavailable',
};

export function codeForStatus(status: number): string {
  return CODES_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

/** The OpenAPI schema of `ErrorEnvelope['error']`. */
export class ErrorBodyResource {
  @ApiProperty({ description: 'Stable, machine-readable code, e.g. `invalid_credentials`.' })
  code!: string;

  @ApiProperty({ description: 'What went wrong, for people.' })
  message!: string;

  @ApiProperty({ description: 'The request id (also in the X-Request-Id header).' })
  requestId!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;
}

/** The OpenAPI schema of `ErrorEnvelope`, shared by every error response. */
export class ErrorEnvelopeResource implements ErrorEnvelope {
  @ApiProperty({ type: ErrorBodyResource })
  error!: ErrorBodyResource;
}
