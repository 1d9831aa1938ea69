import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { formParts } from '../../../common/http/multipart/form-parts';
import { assertSupportedImage } from '../../../common/images/image-type';
import { maxFormBytes } from '../../../common/http/multipart/multipart-support';
import { readLimited } from '../../../common/http/read-limited';
import {
  badRequest,
  emptyFile,
  fileTooLarge,
  unsupportedImageType,
} from '../../../common/http/input-errors';
import {
  asImageFormError,
  IMAGE_FILE_FIELD,
} from '../../../common/http/multipart/image-form-field';

/**
 * The image of a predict request, whole in memory (the model decodes it at once): the `file`
 * of a multipart form, or a raw `image/*` / `application/octet-stream` body. 413 past
 * `maxBytes`, 400 when empty, 415 when its first bytes are no supported image type (as for
 * uploads); whether it decodes is the model's to say.
 */
export async function receiveImage(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  const bytes = request.isMultipart()
    ? await imageFromForm(request, maxBytes)
    : await imageFromBody(request, maxBytes);
  if (bytes.length === 0) throw emptyFile();
  assertSupportedImage(bytes);
  return bytes;
}

async function imageFromForm(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  let image: Buffer | undefined;
  try {
    const parts = formParts(request, {
      maxBodyBytes: maxFormBytes(maxBytes),
      limits: { fileSize: maxBytes },
    });
    for await (const part of parts) {
      if (part.type === 'field') {
        throw badRequest('unexpected_field', `Unknown form field ${part.fieldname}`);
      }
      if (part.fieldname !== IMAGE_FILE_FIELD || image) {
        part.file.resume();
        throw badRequest('unexpected_file', `Send one file, in the field "${IMAGE_FILE_FIELD}"`);
      }
      image = await part.toBuffer();
    }
  } catch (error) {
    throw asImageFormError(error, maxBytes);
  }
  if (!image) throw badRequest('file_required', `The form has no "${IMAGE_FILE_FIELD}" file`);
  return image;
}

function imageFromBody(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  if (request.body === undefined || request.body === null) throw emptyFile();
  if (!(request.body instanceof Readable)) {
    throw unsupportedImageType(request.headers['content-type'] ?? 'unknown');
  }
  if (Number(request.headers['content-length']) > maxBytes)
    throw fileTooLarge(maxBytes, 'An image');
  return readLimited(request.body, maxBytes, () => fileTooLarge(maxBytes, 'An image'));
}
