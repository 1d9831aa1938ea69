import { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/** Text PostgreSQL cannot store as given, or that a decoder would silently replace. */
export function invalidCharacters(message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, 'invalid_characters', message);
}

/** PostgreSQL stores no NUL in text or JSON, and no text field of this API needs one. */
export function nulCharacter(where: string): AppError {
  return invalidCharacters(`${where} may not contain NUL characters (\\u0000)`);
}

/** Half of a UTF-16 pair on its own encodes no character: PostgreSQL refuses it in jsonb. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** 400 `invalid_characters` for NUL or an unpaired UTF-16 surrogate anywhere in `text`. */
export function checkCharacters(text: string, where: string): void {
  if (text.includes('\0')) throw nulCharacter(where);
  if (UNPAIRED_SURROGATE.test(text)) {
    throw invalidCharacters(
      `${where} may not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)`,
    );
  }
}

export function jsonTooDeep(maxDepth: number): AppError {
  return new AppError(
    HttpStatus.BAD_REQUEST,
    'json_too_deep',
    `JSON may nest objects and arrays at most ${maxDepth} levels deep`,
  );
}

export function payloadTooLarge(maxBytes: number): AppError {
  return new AppError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'payload_too_large',
    `This request may have a body of at most ${maxBytes} bytes`,
  );
}

export function tooManyParts(): AppError {
  return new AppError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'too_many_parts',
    'The form has more parts, files or fields than this route takes',
  );
}

export function invalidMultipart(why: string): AppError {
  return new AppError(
    HttpStatus.BAD_REQUEST,
    'invalid_multipart',
    `Malformed multipart form: ${why}`,
  );
}

/** A 400 with its own machine code, for input a route cannot take. */
export function badRequest(code: string, message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, code, message);
}

export function emptyFile(): AppError {
  return badRequest('empty_file', 'The file is empty');
}

/** A file of a form or a raw body over the route's limit; `noun` says what the route takes. */
export function fileTooLarge(maxBytes: number, noun = 'A file'): AppError {
  return new AppError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'payload_too_large',
    `${noun} may have at most ${maxBytes} bytes`,
  );
}

/** A raw body whose declared Content-Type is no supported image type. */
export function unsupportedImageType(contentType: string): AppError {
  return new AppError(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_image_type',
    `${contentType} is not a supported image type`,
  );
}

/** A body of another type than the route takes as a value (JSON). */
export function jsonBodyRequired(): AppError {
  return new AppError(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_media_type',
    'This route takes a JSON body (Content-Type: application/json)',
  );
}
