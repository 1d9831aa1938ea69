import { useState } from 'preact/hooks';
import { getJson, sendJson } from '../api';
import {
  checkedValues,
  ErrorMessage,
  formValues,
  html,
  Section,
  TableHead,
  useAction,
  useLoad,
} from '../components';

const SCOPES = ['images:write', 'images:read', 'predict', 'models:admin', 'admin'];
const WEBHOOK_EVENTS = ['image.processed', 'image.failed', 'image.quarantined'];

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface Webhook {
  id: string;
  url: string;
  events: string[];
}

/** A secret the API shows once: in a read-only field the user can select and copy. */
function ShownOnce({ label, value }: { label: string; value: string | null }) {
  if (!value) return null;
  return html`<div class="notice" role="status">
    <label for="shown-once">${label} (shown once: copy it now)</label>
    <input id="shown-once" readonly value=${value} />
  </div>`;
}

function Checkboxes({ name, values, legend }: { name: string; values: string[]; legend: string }) {
  return html`<fieldset>
    <legend>${legend}</legend>
    ${values.map(
      (value) =>
        html`<label class="inline"
          ><input type="checkbox" name=${name} value=${value} /> ${value}</label
        >`,
    )}
  </fieldset>`;
}

export function KeysPage() {
  const keys = useLoad(() => getJson<ApiKey[]>('/v1/keys'), []);
  const action = useAction();
  const [created, setCreated] = useState<string | null>(null);
  const create = (event: Event) => {
    const { name } = formValues(event);
    const scopes = checkedValues(event, 'scopes');
    void action.run(async () => {
      const key = await sendJson<{ key: string }>('POST', '/v1/keys', { name, scopes });
      setCreated(key.key);
      await keys.reload();
    });
  };
  return html`<h1 tabindex="-1">API keys</h1>
    <${Section} title="New key">
      <form class="card narrow" onSubmit=${create}>
        <label for="key-name">Name</label>
        <input id="key-name" name="name" required maxlength="100" />
        <${Checkboxes} name="scopes" values=${SCOPES} legend="Scopes" />
        <${ErrorMessage} error=${action.error} />
        <button type="submit" disabled=${action.busy}>Create key</button>
      </form>
      <${ShownOnce} label="New API key" value=${created} />
    <//>
    <${Section} title="Your keys">
      <${ErrorMessage} error=${keys.error} />
      <table>
        <${TableHead}
          caption="API keys"
          columns=${['Name', 'Prefix', 'Scopes', 'Last used', 'State']}
        />
        <tbody>
          ${(keys.value ?? []).map(
            (key) =>
              html`<tr key=${key.id}>
                <td>${key.name}</td>
                <td><code>vir_${key.prefix}_…</code></td>
                <td>${key.scopes.join(', ')}</td>
                <td>${key.lastUsedAt ?? 'never'}</td>
                <td>
                  ${
                    key.revokedAt
                      ? 'revoked'
                      : html`<button
                          type="button"
                          disabled=${action.busy}
                          onClick=${() =>
                            action.run(async () => {
                              await sendJson('DELETE', `/v1/keys/${key.id}`);
                              await keys.reload();
                            })}
                        >
                          Revoke ${key.name}
                        </button>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>`;
}

export function WebhooksPage() {
  const hooks = useLoad(() => getJson<Webhook[]>('/v1/webhooks'), []);
  const action = useAction();
  const [secret, setSecret] = useState<string | null>(null);
  const create = (event: Event) => {
    const { url } = formValues(event);
    const events = checkedValues(event, 'events');
    void action.run(async () => {
      const hook = await sendJson<{ secret: string }>('POST', '/v1/webhooks', { url, events });
      setSecret(hook.secret);
      await hooks.reload();
    });
  };
  return html`<h1 tabindex="-1">Webhooks</h1>
    <${Section} title="New webhook">
      <form class="card narrow" onSubmit=${create}>
        <label for="hook-url">URL</label>
        <input
          id="hook-url"
          name="url"
          type="url"
          required
          placeholder="https://example.com/hooks"
        />
        <${Checkboxes} name="events" values=${WEBHOOK_EVENTS} legend="Events" />
        <${ErrorMessage} error=${action.error} />
        <button type="submit" disabled=${action.busy}>Create webhook</button>
      </form>
      <${ShownOnce} label="Signing secret" value=${secret} />
    <//>
    <${Section} title="Your webhooks">
      <${ErrorMessage} error=${hooks.error} />
      <ul class="plain">
        ${(hooks.value ?? []).map(
          (hook) =>
            html`<li key=${hook.id}>
              <code>${hook.url}</code> <span class="muted">${hook.events.join(', ')}</span>
              <button
                type="button"
                disabled=${action.busy}
                onClick=${() =>
                  action.run(async () => {
                    await sendJson('DELETE', `/v1/webhooks/${hook.id}`);
                    await hooks.reload();
                  })}
              >
                Delete webhook ${hook.url}
              </button>
            </li>`,
        )}
      </ul>
      ${hooks.value?.length === 0 && html`<p class="muted">No webhooks yet.</p>`}
    <//>`;
}
