import type { FastifyRequest } from 'fastify';
import { badRequest, fileTooLarge } from '../../../common/http/input-errors';
import { asFormError, formParts } from '../../../common/http/multipart/form-parts';
import { maxFormBytes } from '../../../common/http/multipart/multipart-support';
import { boundedText } from '../../../common/http/text-fields';
import type { ArtifactFile, NewVersionRequest } from '../model-registry';

const TEXT_FIELDS = ['labels', 'task', 'description'] as const;
export const MAX_TASK_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 1000;
type TextField = (typeof TEXT_FIELDS)[number];

/**
 * A model version upload: every file part is one file of the TF.js artifact, named by its
 * filename (`model.json`, the weight shards it names); optional text fields `labels` (a JSON
 * array), `task` and `description`. The registry judges the artifact itself.
 */
export async function receiveArtifactForm(
  request: FastifyRequest,
  maxFileBytes: number,
): Promise<NewVersionRequest> {
  if (!request.isMultipart()) {
    throw badRequest('multipart_required', 'Send multipart/form-data with the artifact files');
  }
  const files: ArtifactFile[] = [];
  const fields: Partial<Record<TextField, string>> = {};
  try {
    const parts = formParts(request, {
      maxBodyBytes: maxFormBytes(maxFileBytes),
      limits: { fileSize: maxFileBytes },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (!part.filename) {
          part.file.resume();
          throw badRequest('filename_required', 'Every artifact file needs a filename');
        }
        files.push({ name: part.filename, bytes: await part.toBuffer() });
      } else if ((TEXT_FIELDS as readonly string[]).includes(part.fieldname)) {
        fields[part.fieldname as TextField] = String(part.value);
      } else {
        throw badRequest('unexpected_field', `Unknown form field ${part.fieldname}`);
      }
    }
  } catch (error) {
    throw asFormError(error, () => fileTooLarge(maxFileBytes, 'An artifact file'));
  }
  const { labels, task, description } = fields;
  return {
    files,
    ...(labels !== undefined && { labels: parseLabels(labels) }),
    ...(task !== undefined && { task: boundedText(task, 'task', MAX_TASK_LENGTH) }),
    ...(description !== undefined && {
      description: boundedText(description, 'description', MAX_DESCRIPTION_LENGTH),
    }),
  };
}

/** JSON text; the registry checks it is a list of distinct label names. */
function parseLabels(text: string): string[] {
  try {
    return JSON.parse(text) as string[];
  } catch {
    throw badRequest('invalid_labels', 'labels must be a JSON array of label names');
  }
}
