import type { Multipart } from '@fastify/multipart';
import { HttpStatus } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../app-error';
import { checkCharacters, invalidMultipart, payloadTooLarge, tooManyParts } from '../input-errors';
import { checkJsonValue } from '../json-input';

type PartsOptions = NonNullable<Parameters<FastifyRequest['parts']>[0]>;

export interface FormOptions {
  /** A body declaring more bytes is refused at once (413), before any of it is read. */
  maxBodyBytes: number;
  /** This form's own busboy limits (e.g. `fileSize`), over the plugin's. */
  limits?: PartsOptions['limits'];
}

const PART_LIMITS = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT']);
/** Busboy's words for a Content-Type or body that is no well-formed form (boundary = needle). */
const MALFORMED = /^Multipart: |malformed|boundary|needle|unsupported content-type/i;

/**
 * The parts of a multipart form, for every route that reads one: the declared length is
 * checked first, and field names, text values and filenames may not hold NUL (they reach
 * the database). Readers map what the parser throws with `asFormError`.
 */
export async function* formParts(
  request: FastifyRequest,
  options: FormOptions,
): AsyncGenerator<Multipart> {
  const declared = Number(request.headers['content-length']);
  if (declared > options.maxBodyBytes) {
    // The body stays unread: the connection closes after the answer instead of draining it.
    throw new AppError(
      payloadTooLarge(options.maxBodyBytes).getStatus(),
      'payload_too_large',
      payloadTooLarge(options.maxBodyBytes).message,
      { headers: { Connection: 'close' } },
    );
  }
  for await (const part of request.parts(options.limits && { limits: options.limits })) {
    // A request cut off mid-form (e.g. by the request timeout) can end the iteration with a
    // value that is no part.
    if (typeof part !== 'object' || (part.type !== 'field' && !part.file)) throw incompleteForm();
    checkPartText(part);
    yield part;
  }
}

function checkPartText(part: Multipart): void {
  const texts = [part.fieldname, part.type === 'file' ? part.filename : part.value];
  for (const text of texts) {
    if (typeof text === 'string') {
      checkCharacters(text, 'Form field names, values and filenames');
    } else {
      checkJsonValue(text);
    }
  }
}

/**
 * Busboy's and the plugin's failures as the API's errors: too many parts, a file over its
 * limit (`fileTooLarge`), a form cut short, a form that is no multipart at all.
 */
export function asFormError(error: unknown, fileTooLarge: () => AppError): unknown {
  if (error instanceof AppError) return error;
  const {
    statusCode,
    code = '',
    message = '',
  } = error as { statusCode?: number; code?: string; message?: string };
  if (PART_LIMITS.has(code)) return tooManyParts();
  if (statusCode === 413) return fileTooLarge();
  if (
    code === 'FST_MP_PREMATURE_CLOSE' ||
    /unexpected end|terminated early|^aborted$/i.test(message)
  ) {
    return incompleteForm();
  }
  if (MALFORMED.test(message) || code === 'FST_PROTO_VIOLATION') {
    return invalidMultipart(message.replace(/^Multipart: /, ''));
  }
  return error;
}

function incompleteForm(): AppError {
  return new AppError(
    HttpStatus.BAD_REQUEST,
    'incomplete_upload',
    'The upload ended before the form was complete',
  );
}
