import { useState } from 'preact/hooks';
import { getJson, hasScope, sendJson } from '../api';
import {
  ErrorMessage,
  formValues,
  html,
  Section,
  TableHead,
  useAction,
  useLoad,
} from '../components';

interface ModelVersion {
  model: string;
  version: number;
  status: string;
  labels: string[];
  metrics: Record<string, unknown> | null;
  createdAt: string;
  promotedAt: string | null;
}

interface Model {
  name: string;
  task: string;
  description: string | null;
  /** Set for a model trained from labels; null for uploaded or bundled ones. */
  kind: string | null;
  production: ModelVersion | null;
}

interface BatchRun {
  id: string;
  status: string;
  error?: unknown;
}

export function ModelsPage() {
  const models = useLoad(() => getJson<{ items: Model[] }>('/v1/models'), []);
  const [selected, setSelected] = useState<string | null>(null);
  const canAdmin = hasScope('models:admin');
  return html`<h1 tabindex="-1">Models</h1>
    <${ErrorMessage} error=${models.error} />
    <table>
      <${TableHead}
        caption="Models"
        columns=${['Name', 'Task', 'Production version', 'Versions']}
      />
      <tbody>
        ${(models.value?.items ?? []).map(
          (model) =>
            html`<tr key=${model.name}>
              <td>${model.name}</td>
              <td>${model.task}</td>
              <td>${model.production ? `v${model.production.version}` : 'none'}</td>
              <td>
                <button
                  type="button"
                  aria-pressed=${selected === model.name}
                  onClick=${() => setSelected(model.name)}
                >
                  Versions of ${model.name}
                </button>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      selected &&
      html`<${ModelVersions}
        key=${selected}
        name=${selected}
        trainable=${models.value?.items.some((m) => m.name === selected && m.kind !== null)}
        canAdmin=${canAdmin}
        onChange=${models.reload}
      />`
    }
    ${canAdmin && html`<${CreateClassifier} onCreated=${models.reload} />`}`;
}

function ModelVersions(props: {
  name: string;
  trainable: boolean;
  canAdmin: boolean;
  onChange: () => void;
}) {
  const { name, trainable, canAdmin } = props;
  const versions = useLoad(
    () => getJson<{ items: ModelVersion[] }>(`/v1/models/${encodeURIComponent(name)}/versions`),
    [name],
  );
  const action = useAction();
  const [run, setRun] = useState<BatchRun | null>(null);
  const changed = () => {
    void versions.reload();
    props.onChange();
  };
  const train = () =>
    action.run(async () => {
      setRun(await sendJson<BatchRun>('POST', '/v1/admin/batch/train-classifier', { model: name }));
    });
  const refreshRun = () =>
    action.run(async () => {
      if (run) setRun(await getJson<BatchRun>(`/v1/admin/batch/runs/${run.id}`));
      changed();
    });
  return html`<${Section} title=${`Versions of ${name}`}>
    <${ErrorMessage} error=${versions.error} />
    ${
      canAdmin &&
      html`<div class="actions">
        ${
          trainable &&
          html`<button type="button" onClick=${train} disabled=${action.busy}>
            Train ${name}
          </button>`
        }
        <button
          type="button"
          disabled=${action.busy}
          onClick=${() =>
            action.run(async () => {
              await sendJson('POST', `/v1/models/${encodeURIComponent(name)}/rollback`);
              changed();
            })}
        >
          Roll back ${name}
        </button>
      </div>`
    }
    ${
      run &&
      html`<p role="status">
        Training run <code>${run.id}</code>: ${run.status}
        <button type="button" onClick=${refreshRun}>Refresh run</button>
      </p>`
    }
    <${ErrorMessage} error=${action.error} />
    ${(versions.value?.items ?? []).map(
      (version) =>
        html`<article
          class="card"
          key=${version.version}
          aria-label=${`${name} version ${version.version}`}
        >
          <h3>v${version.version} <span class="badge">${version.status}</span></h3>
          <p class="muted">Labels: ${version.labels.join(', ') || 'none'}</p>
          <${Metrics} version=${version} />
          ${
            canAdmin &&
            version.status !== 'production' &&
            html`<button
              type="button"
              disabled=${action.busy}
              onClick=${() =>
                action.run(async () => {
                  await sendJson(
                    'POST',
                    `/v1/models/${encodeURIComponent(name)}/versions/${version.version}/promote`,
                  );
                  changed();
                })}
            >
              Promote v${version.version}
            </button>`
          }
        </article>`,
    )}
  <//>`;
}

/** The confusion matrix as training records it: rows are true labels, columns predicted ones. */
function confusionOf(version: ModelVersion): { labels: string[]; rows: number[][] } | null {
  const matrix = version.metrics?.confusionMatrix;
  if (Array.isArray(matrix)) return { labels: version.labels, rows: matrix as number[][] };
  if (
    matrix &&
    typeof matrix === 'object' &&
    Array.isArray((matrix as { matrix?: unknown }).matrix)
  ) {
    const { labels, matrix: rows } = matrix as { labels?: string[]; matrix: number[][] };
    return { labels: labels ?? version.labels, rows };
  }
  return null;
}

function Metrics({ version }: { version: ModelVersion }) {
  const metrics = version.metrics ?? {};
  const accuracy = typeof metrics.accuracy === 'number' ? metrics.accuracy : null;
  const confusion = confusionOf(version);
  const reason = typeof metrics.reason === 'string' ? metrics.reason : null;
  return html`<div class="metrics">
    <p>
      Accuracy:
      <strong>${accuracy === null ? 'not measured' : `${(accuracy * 100).toFixed(1)}%`}</strong>
    </p>
    ${reason && html`<p class="muted">${reason}</p>`}
    ${
      confusion &&
      html`<table class="confusion">
        <caption>
          Confusion matrix (rows: true label, columns: predicted)
        </caption>
        <thead>
          <tr>
            <td></td>
            ${confusion.labels.map((label) => html`<th scope="col">${label}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${confusion.rows.map(
            (row, i) =>
              html`<tr>
                <th scope="row">${confusion.labels[i] ?? i}</th>
                ${row.map((count) => html`<td>${count}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </div>`;
}

function CreateClassifier({ onCreated }: { onCreated: () => void }) {
  const action = useAction();
  const submit = (event: Event) => {
    const { name, labels, description } = formValues(event);
    void action.run(async () => {
      await sendJson('POST', '/v1/models', {
        name,
        kind: 'classifier',
        ...(labels.trim() && {
          labels: labels
            .split(',')
            .map((l) => l.trim())
            .filter(Boolean),
        }),
        ...(description.trim() && { description }),
      });
      onCreated();
    });
  };
  return html`<${Section} title="New classifier">
    <form class="card narrow" onSubmit=${submit}>
      <label for="model-name">Name</label>
      <input id="model-name" name="name" required pattern="[a-z0-9][a-z0-9-]*" />
      <label for="model-labels">Labels (comma-separated; empty: every label found)</label>
      <input id="model-labels" name="labels" />
      <label for="model-description">Description</label>
      <input id="model-description" name="description" />
      <${ErrorMessage} error=${action.error} />
      <button type="submit" disabled=${action.busy}>Create classifier</button>
    </form>
  <//>`;
}
