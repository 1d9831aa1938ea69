import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { formParts } from '../../../common/http/multipart/form-parts';
import {
  asImageFormError,
  IMAGE_FILE_FIELD,
} from '../../../common/http/multipart/image-form-field';
import { maxFormBytes } from '../../../common/http/multipart/multipart-support';
import { boundedText } from '../../../common/http/text-fields';
import { StoredObject } from '../../storage/object-storage';
import { imageTypeOf } from '../image-bytes';
import { IMAGE_SIGNATURE_BYTES, ImageContentType } from '../../../common/images/image-type';
import { peekHead } from '../stream-head';
import { badUpload, uploadTooLarge } from '../upload-errors';

/** The original filename is kept with the image: as long as most file systems allow. */
export const MAX_FILENAME_LENGTH = 255;
export const TEXT_FIELDS = ['label', 'metadata'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface ReceivedImage {
  stored: StoredObject;
  contentType: ImageContentType;
  filename?: string;
}

export interface ImageForm {
  image: ReceivedImage;
  fields: Partial<Record<TextField, string>>;
}

/** Writes the image's bytes somewhere (they stream through, typed by their first bytes). */
export type ImageSink = (body: Readable, contentType: ImageContentType) => Promise<StoredObject>;

/**
 * Reads a multipart form with one image (`file`) and optional text fields, in any order. The
 * file streams straight into `sink` once its first bytes show it is a supported image; on any
 * failure `discard` removes what the sink stored.
 */
export async function receiveImageForm(
  request: FastifyRequest,
  maxBytes: number,
  sink: ImageSink,
  discard: () => Promise<void>,
): Promise<ImageForm> {
  const fields: ImageForm['fields'] = {};
  let image: ReceivedImage | undefined;
  try {
    for await (const part of formParts(request, { maxBodyBytes: maxFormBytes(maxBytes) })) {
      if (part.type === 'field') {
        if (!(TEXT_FIELDS as readonly string[]).includes(part.fieldname)) {
          throw badUpload('unexpected_field', `Unknown form field ${part.fieldname}`);
        }
        fields[part.fieldname as TextField] = String(part.value);
      } else if (part.fieldname !== IMAGE_FILE_FIELD || image) {
        part.file.resume();
        throw badUpload('unexpected_file', `Send one file, in the field "${IMAGE_FILE_FIELD}"`);
      } else {
        image = await receiveFile(part, maxBytes, sink);
      }
    }
  } catch (error) {
    if (image) await discard();
    throw asImageFormError(error, maxBytes);
  }
  if (!image) throw badUpload('file_required', `The form has no "${IMAGE_FILE_FIELD}" file`);
  return { image, fields };
}

async function receiveFile(
  part: MultipartFile,
  maxBytes: number,
  sink: ImageSink,
): Promise<ReceivedImage> {
  let contentType: ImageContentType;
  let filename: string | undefined;
  const { head, body } = await peekHead(part.file, IMAGE_SIGNATURE_BYTES);
  try {
    filename = boundedText(part.filename, 'The filename', MAX_FILENAME_LENGTH) || undefined;
    contentType = imageTypeOf(head, part.mimetype);
  } catch (error) {
    part.file.resume();
    throw error;
  }
  const stored = await sink(body, contentType);
  if (part.file.truncated) throw uploadTooLarge(maxBytes);
  return { stored, contentType, filename };
}
