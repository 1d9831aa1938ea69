import { useEffect, useRef, useState } from 'preact/hooks';
import { imageEvents, sendJson, sendWithProgress, authorization } from '../api';
import { ErrorMessage, html, Prediction, PredictionList, Section, Thumbnail } from '../components';

/** Files at least this large go up through a presigned link instead of one multipart POST. */
const PRESIGNED_FROM_BYTES = 5 * 1024 * 1024;

interface UploadedImage {
  id: string;
  status: string;
  predictions: Prediction[];
  failureMessage?: string | null;
  duplicate?: boolean;
}

interface UploadLink {
  id: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  completeUrl: string;
}

interface Item {
  key: number;
  name: string;
  size: number;
  method: 'direct' | 'presigned';
  sent: number;
  image?: UploadedImage;
  error?: unknown;
}

function direct(file: File, onProgress: (sent: number) => void): Promise<UploadedImage> {
  const form = new FormData();
  form.append('file', file, file.name);
  return sendWithProgress('POST', '/v1/images', form, authorization(), (p) =>
    onProgress(p.loaded / (p.total || file.size)),
  ) as Promise<UploadedImage>;
}

/** POST /v1/uploads, PUT the bytes to the link, POST its completion. */
async function presigned(file: File, onProgress: (sent: number) => void): Promise<UploadedImage> {
  const started = await sendJson<UploadLink | UploadedImage>('POST', '/v1/uploads', {
    contentType: file.type,
    size: file.size,
  });
  if (!('uploadUrl' in started)) return started;
  await sendWithProgress('PUT', started.uploadUrl, file, started.headers, (p) =>
    onProgress(p.loaded / (p.total || file.size)),
  );
  return sendJson<UploadedImage>('POST', new URL(started.completeUrl).pathname);
}

export function UploadPage() {
  const [items, setItems] = useState<Item[]>([]);
  const [alwaysPresigned, setAlwaysPresigned] = useState(false);
  const [dragging, setDragging] = useState(false);
  const nextKey = useRef(0);
  const streams = useRef<(() => void)[]>([]);
  useEffect(() => () => streams.current.forEach((close) => close()), []);

  const update = (key: number, change: (item: Item) => Item) =>
    setItems((all) => all.map((item) => (item.key === key ? change(item) : item)));

  /** Follows the image's server-sent events until it is processed or failed. */
  const follow = (key: number, imageId: string) => {
    streams.current.push(
      imageEvents(imageId, (event, data) => {
        update(key, (item) => {
          const image = item.image!;
          if (event === 'state')
            return { ...item, image: { ...image, ...(data as UploadedImage) } };
          if (event === 'status') return { ...item, image: { ...image, ...(data as object) } };
          if (event === 'prediction') {
            const prediction = data as Prediction;
            const others = image.predictions.filter(
              (p) => p.model !== prediction.model || p.version !== prediction.version,
            );
            return { ...item, image: { ...image, predictions: [...others, prediction] } };
          }
          return item;
        });
      }),
    );
  };

  const upload = (files: File[]) => {
    for (const file of files) {
      const key = nextKey.current++;
      const method = alwaysPresigned || file.size >= PRESIGNED_FROM_BYTES ? 'presigned' : 'direct';
      setItems((all) => [{ key, name: file.name, size: file.size, method, sent: 0 }, ...all]);
      const send = method === 'presigned' ? presigned : direct;
      send(file, (sent) => update(key, (item) => ({ ...item, sent })))
        .then((image) => {
          update(key, (item) => ({ ...item, sent: 1, image: { ...image, predictions: [] } }));
          follow(key, image.id);
        })
        .catch((error: unknown) => update(key, (item) => ({ ...item, error })));
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    upload([...(event.dataTransfer?.files ?? [])]);
  };
  const onPick = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    upload([...(input.files ?? [])]);
    input.value = '';
  };

  return html`<h1 tabindex="-1">Upload</h1>
    <div
      class=${`dropzone${dragging ? ' dragging' : ''}`}
      onDragOver=${(event: DragEvent) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave=${() => setDragging(false)}
      onDrop=${onDrop}
    >
      <p>Drop images here, or</p>
      <label for="files">Choose images</label>
      <input id="files" type="file" accept="image/*" multiple onChange=${onPick} />
      <p class="muted">
        Files from ${PRESIGNED_FROM_BYTES / 1024 / 1024} MB up go through a presigned upload link.
      </p>
      <label class="inline">
        <input
          id="always-presigned"
          type="checkbox"
          checked=${alwaysPresigned}
          onChange=${(e: Event) => setAlwaysPresigned((e.currentTarget as HTMLInputElement).checked)}
        />
        Use presigned links for every file
      </label>
    </div>
    <${Section} title="Uploads">
      ${
        items.length === 0
          ? html`<p class="muted">Nothing uploaded yet.</p>`
          : html`<ul class="uploads" aria-live="polite">
              ${items.map((item) => html`<${UploadRow} key=${item.key} item=${item} />`)}
            </ul>`
      }
    <//>`;
}

function UploadRow({ item }: { item: Item }) {
  const image = item.image;
  const percent = Math.round(item.sent * 100);
  return html`<li
    class="upload"
    data-image-id=${image?.id ?? ''}
    data-status=${image?.status ?? ''}
  >
    ${
      image?.status === 'processed'
        ? html`<${Thumbnail} imageId=${image.id} alt=${`Thumbnail of ${item.name}`} />`
        : html`<span class="thumbnail placeholder" aria-hidden="true"></span>`
    }
    <div>
      <p>
        <strong>${item.name}</strong>
        <span class="muted">(${item.method}, ${item.size} bytes)</span>
      </p>
      <label>
        Progress
        <progress max="100" value=${percent} aria-label=${`Upload of ${item.name}`}>
          ${percent}%
        </progress>
      </label>
      ${
        image &&
        html`<p>
            Status:
            <span class="status">${image.status}</span
            >${image.duplicate ? ' (already uploaded)' : ''}
          </p>
          <${PredictionList} predictions=${image.predictions} />
          ${image.failureMessage && html`<p class="error">${image.failureMessage}</p>`}`
      }
      <${ErrorMessage} error=${item.error} />
    </div>
  </li>`;
}
