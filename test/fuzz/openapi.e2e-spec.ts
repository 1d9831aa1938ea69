import fc from 'fast-check';
import { bootApp, TestApp } from '../support/app';
import { eventually } from '../support/eventually';
import { testImages } from '../support/images';
import { freePort } from '../support/vireo-process';
import { Components } from './schema-arbitraries';
import {
  FuzzRequest,
  FuzzResponse,
  KnownValues,
  operationsOf,
  requestsFor,
  send,
} from './requests';

/**
 * Property-based fuzzing of every operation in /openapi.json (fast-check): valid and mutated
 * requests (wrong types, NUL, huge and negative numbers, deep nesting, odd encodings, missing
 * and extra fields), mostly with valid credentials. Every answer is below 500, every 4xx is in
 * the envelope (the protocol's shape on /v2), and the process answers /health/live quickly
 * afterwards.
 *
 * CI runs a fixed seed and a bounded count; locally `FUZZ_RUNS` (runs per operation) and
 * `FUZZ_SEED` change that, e.g. `FUZZ_RUNS=400 npx jest test/fuzz`.
 */
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const ADMIN_KEY = 'vir_fuzzadmin_0123456789abcdefghijABCDEFGHIJ';
/** Long enough for a first inference (the model loads) on a busy machine; a hang is a finding. */
const ANSWER_TIMEOUT_MS = 30_000;

/** A failure's own message, without the (possibly megabytes long) counterexample. */
function briefly<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : '';
  throw new Error(`seed ${details.seed}, run ${details.numRuns}: ${cause.slice(0, 2_000)}`);
}

describe('fuzzing every operation of /openapi.json', () => {
  let t: TestApp;
  let port: number;
  const tally = { requests: 0, byClass: {} as Record<string, number> };

  beforeAll(async () => {
    port = await freePort();
    t = await bootApp({
      ADMIN_API_KEY: ADMIN_KEY,
      MAX_UPLOAD_BYTES: String(64 * 1024),
      RATE_LIMIT_UPLOADS_PER_MIN: '1000000',
      RATE_LIMIT_PREDICT_PER_MIN: '1000000',
      RATE_LIMIT_READS_PER_MIN: '1000000',
      RATE_LIMIT_KEYS_PER_MIN: '1000000',
      LOG_LEVEL: 'silent',
      MODEL_PRELOAD: 'true',
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    await eventually(
      async () => ((await t.http().get('/health/ready')).status === 200 ? true : undefined),
      60_000,
      100,
    );
  });
  afterAll(() => t?.close());

  /** Rows valid requests can reach: an image, a pending upload, a key, the bundled model. */
  async function knownValues(): Promise<KnownValues> {
    const asAdmin = { 'x-api-key': ADMIN_KEY };
    const image = await t
      .http()
      .post('/v1/images')
      .set(asAdmin)
      .attach('file', await testImages.png(6, 6), { filename: 'a.png', contentType: 'image/png' })
      .expect(202);
    const upload = await t
      .http()
      .post('/v1/uploads')
      .set(asAdmin)
      .send({ contentType: 'image/png', size: 10 })
      .expect(201);
    const key = await t
      .http()
      .post('/v1/keys')
      .set(asAdmin)
      .send({ name: 'fuzzed', scopes: ['images:read'] })
      .expect(201);
    return {
      id: [image.body.id, upload.body.id, key.body.id, '00000000-0000-4000-8000-000000000000'],
      name: ['moderation', 'fuzz-head', 'nope'],
      version: ['1', '2', '0', '999999999'],
    };
  }

  const credentials = fc.oneof(
    { weight: 8, arbitrary: fc.constant({ 'x-api-key': ADMIN_KEY }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Record<string, string>>(
        {},
        { authorization: 'Bearer' },
        { authorization: 'Bearer vir_nope_nope' },
        { 'x-api-key': 'not-a-key' },
        { authorization: 'Basic YTpi' },
      ),
    },
  );

  /** Why an answer breaks the contract, or null when it keeps it. */
  function violation(request: FuzzRequest, response: FuzzResponse): string | null {
    // A readiness probe says "not ready" with 503 by design (a model version not loaded).
    const probe = request.url.split('?')[0].endsWith('/ready') && response.status === 503;
    if (response.status >= 500 && !probe) return `answered ${response.status}: ${response.body}`;
    if (response.status < 400 || request.method === 'HEAD') return null;
    let body: { error?: unknown };
    try {
      body = JSON.parse(response.body.toString()) as { error?: unknown };
    } catch {
      return `answered ${response.status} with a body that is no JSON: ${response.body}`;
    }
    if (request.url.startsWith('/v2')) {
      const keys = Object.keys(body);
      return keys.length === 1 && typeof body.error === 'string'
        ? null
        : `answered ${response.status} outside the protocol's { error } shape`;
    }
    const error = body.error as { code?: unknown; message?: unknown; requestId?: unknown };
    const inEnvelope =
      typeof error?.code === 'string' &&
      typeof error.message === 'string' &&
      error.requestId === response.headers['x-request-id'];
    return inEnvelope ? null : `answered ${response.status} outside the envelope: ${response.body}`;
  }

  it(`answers ${RUNS_PER_OPERATION} requests per operation below 500, every 4xx in the envelope`, async () => {
    const document = (await t.http().get('/openapi.json').expect(200)).body;
    const components = (document.components?.schemas ?? {}) as Components;
    const operations = operationsOf(document);
    const known = await knownValues();
    expect(operations.length).toBeGreaterThanOrEqual(25);

    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(
          requestsFor(operation, components, known, credentials),
          async (request) => {
            const response = await send(port, request, ANSWER_TIMEOUT_MS);
            tally.requests += 1;
            const statusClass = `${Math.floor(response.status / 100)}xx`;
            tally.byClass[statusClass] = (tally.byClass[statusClass] ?? 0) + 1;
            const broken = violation(request, response);
            if (broken) throw new Error(`${request.method} ${request.url.slice(0, 300)} ${broken}`);
          },
        ),
        { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true, reporter: briefly },
      );
    }

    // Still alive, and quick: no request left the process wedged.
    for (let probe = 0; probe < 10; probe++) {
      const started = Date.now();
      await t.http().get('/health/live').expect(200);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    console.log(
      `fuzz: ${tally.requests} requests over ${operations.length} operations ` +
        `(seed ${SEED}, ${RUNS_PER_OPERATION} runs each): ${JSON.stringify(tally.byClass)}`,
    );
    expect(tally.requests).toBe(operations.length * RUNS_PER_OPERATION);
  }, 600_000);
});
