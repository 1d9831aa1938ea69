import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, objectUrl } from './api';

export { html };

export interface Prediction {
  model: string;
  version: number;
  label: string;
  score: number;
}

/** An error as the API said it, read out by screen readers as it appears. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiError
      ? `${error.message} (${error.code})`
      : error instanceof Error
        ? error.message
        : String(error);
  return html`<p class="error" role="alert">${text}</p>`;
}

/** Runs `load` now and on `reload()`; keeps the result, the error and whether it is running. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const run = useCallback(async () => {
    setLoading(true);
    try {
      setValue(await load());
      setError(null);
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }, deps);
  useEffect(() => void run(), [run]);
  return { value, error, loading, reload: run };
}

/** Wraps an action: remembers its error (shown as the API's message) and whether it runs. */
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

/** A thumbnail fetched with the session's token (an <img> cannot send one). */
export function Thumbnail({ imageId, alt }: { imageId: string; alt: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let cancelled = false;
    objectUrl(`/v1/images/${imageId}/thumbnail?inline=1`)
      .then((made) => {
        url = made;
        if (!cancelled) setSrc(made);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [imageId]);
  return src
    ? html`<img class="thumbnail" src=${src} alt=${alt} width="64" height="64" />`
    : html`<span class="thumbnail placeholder" aria-hidden="true"></span>`;
}

export function PredictionList({ predictions }: { predictions: Prediction[] }) {
  if (predictions.length === 0) return html`<span class="muted">none yet</span>`;
  return html`<ul class="predictions">
    ${predictions.map(
      (p) =>
        html`<li>
          <span class="model">${p.model} v${p.version}</span>: <strong>${p.label}</strong>
          ${' '}${(p.score * 100).toFixed(1)}%
        </li>`,
    )}
  </ul>`;
}

/** A table's caption (for screen readers) and its column headers. */
export function TableHead({ caption, columns }: { caption: string; columns: string[] }) {
  return html`<caption class="visually-hidden">
      ${caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((column) => html`<th scope="col">${column}</th>`)}
      </tr>
    </thead>`;
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return html`<section aria-label=${title}>
    <h2>${title}</h2>
    ${children}
  </section>`;
}

/** Form fields' values by name. */
export function formValues(event: Event): Record<string, string> {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, name) => {
    if (typeof value === 'string') values[name] = value;
  });
  return values;
}

/** Every checked value of the checkboxes named `name`. */
export function checkedValues(event: Event, name: string): string[] {
  const form = event.currentTarget as HTMLFormElement;
  return new FormData(form).getAll(name).filter((v): v is string => typeof v === 'string');
}
