import { eventually } from './eventually';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A JSON client of a running Vireo at `base`, acting with `adminKey` unless told otherwise. */
export function adminClient(base: string, adminKey: string) {
  const admin = { 'x-api-key': adminKey };
  let users = 0;

  const api = async (
    path: string,
    init: RequestInit & { as?: Record<string, string> } = {},
  ): Promise<ApiAnswer> => {
    const { as = admin, ...rest } = init;
    const res = await fetch(`${base}${path}`, {
      ...rest,
      headers: {
        ...as,
        ...(rest.body && !(rest.body instanceof FormData)
          ? { 'content-type': 'application/json' }
          : {}),
        ...rest.headers,
      },
    });
    const text = await res.text();
    const body =
      text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body };
  };

  /** A new key of `scopes` for the user `ownerId`. */
  const newKey = async (ownerId: string, scopes: string[]): Promise<string> => {
    const key = await api('/v1/keys', {
      method: 'POST',
      body: JSON.stringify({ name: 'test', scopes, ownerId }),
    });
    return key.body.key;
  };

  return {
    api,
    newKey,
    /** A new user with a key of `scopes`. */
    async newUser(scopes: string[]) {
      const user = await api('/v1/admin/users', {
        method: 'POST',
        body: JSON.stringify({
          email: `user${++users}-${Date.now()}@example.com`,
          password: 'p'.repeat(16),
        }),
      });
      const id = user.body.id as string;
      return { id, headers: { 'x-api-key': await newKey(id, scopes) } };
    },
    async upload(as: Record<string, string>, bytes: Buffer): Promise<{ id: string }> {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)]), 'photo.bin');
      const res = await api('/v1/images', { method: 'POST', body: form, as });
      if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
      return res.body;
    },
    /** Waits until every image is `processed`. */
    async processed(as: Record<string, string>, ids: string[], timeoutMs = 60_000) {
      for (const id of ids) {
        await eventually(
          async () => {
            const res = await api(`/v1/images/${id}`, { as });
            if (res.body.status === 'failed') throw new Error(`image ${id} failed`);
            return res.body.status === 'processed' ? true : undefined;
          },
          timeoutMs,
          50,
        );
      }
    },
    /** Starts a batch run; resolves with the 202's body. */
    async startBatch(job: string, options: unknown = {}) {
      const res = await api(`/v1/admin/batch/${job}`, {
        method: 'POST',
        body: JSON.stringify(options),
      });
      if (res.status !== 202)
        throw new Error(`start ${job}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; job: string; status: string };
    },
    /** Waits until the run has finished; resolves with it. */
    async finishedRun(id: string, timeoutMs = 120_000) {
      return eventually(
        async () => {
          const res = await api(`/v1/admin/batch/runs/${id}`);
          return ['completed', 'failed'].includes(res.body.status) ? res.body : undefined;
        },
        timeoutMs,
        100,
      );
    },
  };
}
