import { useState } from 'preact/hooks';
import { getJson, sendJson } from '../api';
import {
  ErrorMessage,
  formValues,
  html,
  Prediction,
  PredictionList,
  TableHead,
  Thumbnail,
  useAction,
  useLoad,
} from '../components';

interface ImageRow {
  id: string;
  status: string;
  label: string | null;
  contentType: string | null;
  createdAt: string;
  predictions: Prediction[];
  links: { thumbnail: string | null };
}

interface ImagePage {
  items: ImageRow[];
  nextCursor: string | null;
}

const STATUSES = ['', 'pending', 'uploaded', 'processing', 'processed', 'failed'];

function query(filters: Record<string, string>, cursor?: string): string {
  const params = new URLSearchParams({ limit: '20' });
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  if (cursor) params.set('cursor', cursor);
  return `/v1/images?${params}`;
}

export function ImagesPage() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [more, setMore] = useState<ImageRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useLoad(async () => {
    const first = await getJson<ImagePage>(query(filters));
    setMore([]);
    setCursor(first.nextCursor);
    return first.items;
  }, [filters]);
  const loadMore = useAction();

  const rows = [...(page.value ?? []), ...more];
  return html`<h1 tabindex="-1">Images</h1>
    <form class="filters" aria-label="Filters" onSubmit=${(e: Event) => setFilters(formValues(e))}>
      <label>
        Status
        <select name="status">
          ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select>
      </label>
      <label>Label <input name="label" type="text" /></label>
      <label>Predicted label <input name="predictedLabel" type="text" /></label>
      <label>
        Least score
        <input name="minScore" type="number" min="0" max="1" step="0.05" />
      </label>
      <button type="submit">Apply filters</button>
    </form>
    <${ErrorMessage} error=${page.error} />
    <table class="images">
      <${TableHead}
        caption="Your images, newest first"
        columns=${['Thumbnail', 'Image', 'Status', 'Predictions', 'Label']}
      />
      <tbody>
        ${rows.map((image) => html`<${ImageRowView} key=${image.id} image=${image} />`)}
      </tbody>
    </table>
    ${!page.loading && rows.length === 0 && html`<p class="muted">No images match.</p>`}
    ${
      cursor &&
      html`<button
        type="button"
        disabled=${loadMore.busy}
        onClick=${() =>
          loadMore.run(async () => {
            const next = await getJson<ImagePage>(query(filters, cursor));
            setMore((all) => [...all, ...next.items]);
            setCursor(next.nextCursor);
          })}
      >
        Load more
      </button>`
    }
    <${ErrorMessage} error=${loadMore.error} />`;
}

function ImageRowView({ image }: { image: ImageRow }) {
  const [label, setLabel] = useState(image.label);
  const save = useAction();
  const inputId = `label-${image.id}`;
  const submit = (event: Event) => {
    const wanted = formValues(event).label.trim();
    void save.run(async () => {
      const saved = await sendJson<{ label: string | null }>(
        'PUT',
        `/v1/images/${image.id}/label`,
        { label: wanted === '' ? null : wanted },
      );
      setLabel(saved?.label ?? (wanted === '' ? null : wanted));
    });
  };
  return html`<tr data-image-id=${image.id}>
    <td>
      ${
        image.links.thumbnail
          ? html`<${Thumbnail} imageId=${image.id} alt=${`Thumbnail of image ${image.id}`} />`
          : html`<span class="muted">none</span>`
      }
    </td>
    <td><code>${image.id.slice(0, 8)}</code> <span class="muted">${image.contentType}</span></td>
    <td>${image.status}</td>
    <td><${PredictionList} predictions=${image.predictions} /></td>
    <td>
      <form class="label-form" onSubmit=${submit}>
        <label for=${inputId}>Label</label>
        <input id=${inputId} name="label" type="text" value=${label ?? ''} maxlength="200" />
        <button type="submit" disabled=${save.busy}>Save label</button>
        <span class="saved-label" data-label=${label ?? ''}>${label ?? ''}</span>
      </form>
      <${ErrorMessage} error=${save.error} />
    </td>
  </tr>`;
}
