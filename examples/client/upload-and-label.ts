/**
 * A client app of Vireo written against its OpenAPI document: it uploads an image, waits for
 * its predictions and labels it, every path, parameter and answer typed by `./vireo-api`
 * (`npm run client:types`, see the README's "A typed client").
 *
 *   VIREO_URL=http://localhost:3000 VIREO_API_KEY=vir_... \
 *     node -r @swc-node/register examples/client/upload-and-label.ts photo.jpg cat
 *
 * Prints the labelled image as one JSON line.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import createClient from 'openapi-fetch';
import type { components, paths } from './vireo-api';

type Image = components['schemas']['ImageResource'];

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
};
const WAIT_MS = 30_000;
const POLL_MS = 200;

const [imagePath, label] = process.argv.slice(2);
const apiKey = process.env.VIREO_API_KEY;
if (!imagePath || !label || !apiKey) {
  console.error('usage: VIREO_URL=... VIREO_API_KEY=... upload-and-label.ts <image> <label>');
  process.exit(2);
}

const vireo = createClient<paths>({
  baseUrl: process.env.VIREO_URL ?? 'http://localhost:3000',
  headers: { authorization: `Bearer ${apiKey}` },
});

/** Throws the API's error envelope (`{ error: { code, message, requestId } }`) as an Error. */
function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

async function upload(path: string): Promise<Image> {
  const file = new Blob([await readFile(path)], {
    type: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
  });
  return unwrap(
    await vireo.POST('/v1/images', {
      body: { file },
      // multipart/form-data: fetch sets the boundary from the FormData.
      bodySerializer: (body) => {
        const form = new FormData();
        form.append('file', body.file, basename(path));
        return form;
      },
    }),
  );
}

async function waitForPredictions(id: string): Promise<Image> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const image = unwrap(await vireo.GET('/v1/images/{id}', { params: { path: { id } } }));
    if (image.status === 'processed') return image;
    if (image.status === 'failed') throw new Error(`processing failed: ${image.failureMessage}`);
    if (Date.now() > deadline) throw new Error(`still ${image.status} after ${WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}

async function main(): Promise<void> {
  const uploaded = await upload(imagePath);
  const processed = await waitForPredictions(uploaded.id);
  const labelled = unwrap(
    await vireo.PUT('/v1/images/{id}/label', {
      params: { path: { id: processed.id } },
      body: { label },
    }),
  );
  console.log(
    JSON.stringify({
      id: labelled.id,
      status: labelled.status,
      label: labelled.label,
      predictions: labelled.predictions.map(({ model, label, score }) => ({ model, label, score })),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
