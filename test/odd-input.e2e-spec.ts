import { once } from 'node:events';
import { connect } from 'node:net';
import type { Response } from 'supertest';
import { EMBEDDING_SIZE, initTfBackend } from '../src/modules/model/runtime';
import { bootApp, TestApp } from './support/app';
import { testImages } from './support/images';
import { artifactFiles, denseHead } from './support/model-artifacts';
import { freePort } from './support/vireo-process';

const ADMIN_KEY = 'vir_oddinput_0123456789abcdefghijABCDEFGHIJ';
const MAX_UPLOAD_BYTES = 256 * 1024;
const REQUEST_TIMEOUT_MS = 1500;

const asAdmin = { 'x-api-key': ADMIN_KEY };
const deepJson = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A 4xx in the envelope, with its code and the request id the answer carries. */
function expectEnvelope(res: Response, status: number, code: string): void {
  expect([res.status, res.body.error?.code]).toEqual([status, code]);
  expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
}

/** The Open Inference Protocol's shape: `{ error: "<message>" }`. */
function expectProtocolError(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: expect.any(String) });
}

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** When the answer (or the end of the connection) came, after the request started. */
  afterMs: number;
}

/**
 * What a client that sends `head` (and maybe part of a body) and then stalls gets back: the
 * raw answer and when, or `status: 0` if the server had not answered within `waitMs`.
 */
async function stallingRequest(port: number, head: string, waitMs: number): Promise<RawAnswer> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(head);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
  await Promise.race([ended, deadline]);
  const afterMs = Date.now() - started;
  socket.destroy();
  const [headers = '', body = ''] = received.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
  return { status, headers, body, afterMs };
}

describe('odd input: 4xx in the envelope, never a 5xx', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await bootApp({
      ADMIN_API_KEY: ADMIN_KEY,
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      LOG_LEVEL: 'error',
    });
    await t.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(() => t?.close());

  const http = () => t.http();

  describe('NUL characters', () => {
    it.each([
      ['a filter', '/v1/images?label=a%00b'],
      ['a date filter', '/v1/images?createdFrom=2026%00'],
      ['an image id', '/v1/images/%00'],
      ['a model name', '/v1/models/a%00b'],
      ['a model name in a list of versions', '/v1/models/a%00b/versions'],
    ])('refuses one in %s with 400', async (_where, path) => {
      expectEnvelope(await http().get(path).set(asAdmin), 400, 'invalid_characters');
    });

    it.each([
      '/v2/models/a%00b',
      '/v2/models/a%00b/ready',
      '/v2/models/a%00b/versions/1',
      '/v2/models/a%00b/versions/1/ready',
    ])('refuses one in the public %s with 400 in the protocol shape', async (path) => {
      expectProtocolError(await http().get(path), 400);
    });

    it.each([
      ['a key name', '/v1/keys', { name: 'a\u0000', scopes: ['predict'] }],
      ['a label', '/v1/uploads', { contentType: 'image/png', size: 10, label: 'x\u0000' }],
      [
        'a metadata value',
        '/v1/uploads',
        { contentType: 'image/png', size: 10, metadata: { a: ['\u0000'] } },
      ],
      [
        'a metadata key',
        '/v1/uploads',
        { contentType: 'image/png', size: 10, metadata: { 'k\u0000': 1 } },
      ],
      ['a login email', '/v1/auth/login', { email: 'a\u0000@example.com', password: 'x' }],
    ])('refuses one in %s of a JSON body with 400', async (_where, path, body) => {
      expectEnvelope(await http().post(path).set(asAdmin).send(body), 400, 'invalid_characters');
    });

    it.each([
      ['POST', '/v1/models', '{"name":"sur","kind":"classifier","labels":["\\ud800","b"]}'],
      ['POST', '/v1/models', '{"name":"sur","kind":"classifier","description":"a\\udfff"}'],
      ['POST', '/v1/admin/batch/train-classifier', '{"model":"\\ud800"}'],
      ['PUT', '/v1/images/0190a000-0000-7000-8000-000000000000/label', '{"label":"\\ud800"}'],
      [
        'POST',
        '/v1/labels',
        '{"items":[{"imageId":"0190a000-0000-7000-8000-000000000000","label":"\\ud800"}]}',
      ],
      ['POST', '/v1/keys', '{"\\udc00":1}'],
    ])(
      'refuses an unpaired surrogate in a JSON body to %s %s with 400',
      async (method, url, body) => {
        const res = await http()
          [method === 'PUT' ? 'put' : 'post'](url)
          .set(asAdmin)
          .set('content-type', 'application/json')
          .send(body);
        expectEnvelope(res, 400, 'invalid_characters');
      },
    );

    it('takes a surrogate pair (an emoji) in JSON', async () => {
      const res = await http()
        .post('/v1/models')
        .set(asAdmin)
        .set('content-type', 'application/json')
        .send('{"name":"emoji","kind":"classifier","description":"\\ud83d\\ude00"}');
      expect([res.status, res.body.description]).toEqual([201, '\u{1F600}']);
    });

    it.each(['/v1/images?label=%ED%A0%80', '/v1/images?label=a%FF', '/v1/reports?from=%C0'])(
      'refuses bytes that are no UTF-8 in %s with 400',
      async (path) => {
        expectEnvelope(await http().get(path).set(asAdmin), 400, 'invalid_characters');
      },
    );

    it('refuses one in a URL-encoded body with 400', async () => {
      const res = await http()
        .post('/v1/keys')
        .set(asAdmin)
        .type('form')
        .send('name=a%00b&scopes=predict&scopes=images:read');
      expectEnvelope(res, 400, 'invalid_characters');
    });

    it('refuses one in a form field or a filename with 400, storing nothing', async () => {
      const image = await testImages.png(8, 8);
      const field = await http()
        .post('/v1/images')
        .set(asAdmin)
        .field('label', 'x\u0000y')
        .attach('file', image, { filename: 'a.png', contentType: 'image/png' });
      expectEnvelope(field, 400, 'invalid_characters');
      const filename = await http()
        .post('/v1/images')
        .set(asAdmin)
        .attach('file', image, { filename: 'a\u0000.png', contentType: 'image/png' });
      expectEnvelope(filename, 400, 'invalid_characters');
      const model = await http()
        .post('/v1/models/nul-head/versions')
        .set(asAdmin)
        .field('description', 'd\u0000')
        .attach('files', Buffer.from('{}'), 'model.json');
      expectEnvelope(model, 400, 'invalid_characters');
      expect((await http().get('/v1/images').set(asAdmin).expect(200)).body.items).toEqual([]);
    });
  });

  describe('bodies of another type than a route takes', () => {
    it.each([
      ['image/png', '/v1/auth/login'],
      ['application/octet-stream', '/v1/auth/refresh'],
      ['image/jpeg', '/v1/keys'],
      ['image/webp', '/v1/uploads'],
    ])('answers a %s body to %s with 415, and keeps serving', async (type, path) => {
      const res = await http()
        .post(path)
        .set(asAdmin)
        .set('content-type', type)
        .send(Buffer.from('{"email":"a@example.com","password":"x"}'));
      expectEnvelope(res, 415, 'unsupported_media_type');
      await http().get('/health/live').expect(200);
    });

    it('answers a form to a JSON route with 415, starting no run (not a retention without dryRun)', async () => {
      const form = await http()
        .post('/v1/admin/batch/retention')
        .set(asAdmin)
        .field('dryRun', 'true');
      expectEnvelope(form, 415, 'unsupported_media_type');
      const runs = await http().get('/v1/admin/batch/runs').set(asAdmin).expect(200);
      expect(runs.body.items).toEqual([]);
    });

    it.each([
      ['POST', '/v1/models', 'name=m&kind=classifier'],
      ['PUT', '/v1/images/0190a000-0000-7000-8000-000000000000/label', 'label=x'],
      ['POST', '/v1/admin/batch/retention', 'dryRun=true'],
    ])('answers a URL-encoded body to %s %s with 415', async (method, path, body) => {
      const res = await http()
        [method === 'PUT' ? 'put' : 'post'](path)
        .set(asAdmin)
        .type('form')
        .send(body);
      expectEnvelope(res, 415, 'unsupported_media_type');
    });

    it.each([['text/plain'], [undefined]])(
      'answers a body typed %s to a JSON route with 415',
      async (type) => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/models',
          headers: { ...asAdmin, ...(type && { 'content-type': type }) },
          payload: '{"name":"m","kind":"classifier"}',
        });
        expect([res.statusCode, res.json().error.code]).toEqual([415, 'unsupported_media_type']);
      },
    );

    it('still takes a JSON route without a body, and JSON with a charset', async () => {
      const run = await http().post('/v1/admin/batch/nope').set(asAdmin);
      expect(run.status).not.toBe(415);
      const model = await http()
        .post('/v1/models')
        .set(asAdmin)
        .set('content-type', 'application/json; charset=utf-8')
        .send('{"name":"charset-model","kind":"classifier"}');
      expect(model.status).toBe(201);
    });
  });

  describe('dates', () => {
    it.each(['-271821-04-20', '+275760-09-13', '0000-06-01'])(
      'refuses the out-of-range filter date %s with 400',
      async (date) => {
        const res = await http().get('/v1/images').query({ createdFrom: date }).set(asAdmin);
        expectEnvelope(res, 400, 'invalid_date');
      },
    );

    it('refuses an out-of-range key expiry with 400', async () => {
      const res = await http()
        .post('/v1/keys')
        .set(asAdmin)
        .send({ name: 'far', scopes: ['predict'], expiresAt: '+200000-01-01T00:00:00Z' });
      expectEnvelope(res, 400, 'invalid_date');
    });
  });

  describe('deeply nested JSON', () => {
    it.each([
      ['login', '/v1/auth/login', (deep: string) => `{"email":${deep},"password":"x"}`],
      ['refresh', '/v1/auth/refresh', (deep: string) => `{"refreshToken":${deep}}`],
      [
        'an upload',
        '/v1/uploads',
        (deep: string) => `{"contentType":"image/png","size":3,"metadata":{"a":${deep}}}`,
      ],
      ['a key', '/v1/keys', (deep: string) => `{"name":"x","scopes":${deep}}`],
    ])('refuses %s nested 20 000 deep with 400', async (_what, path, body) => {
      const res = await http()
        .post(path)
        .set(asAdmin)
        .set('content-type', 'application/json')
        .send(body(deepJson(20_000)));
      expectEnvelope(res, 400, 'json_too_deep');
    });

    it('refuses an inference request nested 20 000 deep with 400 in the protocol shape', async () => {
      const res = await http()
        .post('/v2/models/moderation/infer')
        .set(asAdmin)
        .set('content-type', 'application/json')
        .send(`{"inputs":${deepJson(20_000)}}`);
      expectProtocolError(res, 400);
    });
  });

  describe('multipart forms', () => {
    it.each([
      ['no boundary', 'multipart/form-data'],
      ['an empty boundary', 'multipart/form-data; boundary='],
      ['a boundary of 300 characters', `multipart/form-data; boundary=${'b'.repeat(300)}`],
    ])('refuses one with %s with 400 on every form route', async (_what, contentType) => {
      for (const path of ['/v1/images', '/v1/predict', '/v1/models/form-head/versions']) {
        const res = await http()
          .post(path)
          .set(asAdmin)
          .set('content-type', contentType)
          .send('--x\r\n\r\n');
        expect([path, res.status]).toEqual([path, 400]);
        expect(res.body.error.code).toMatch(/^(invalid_multipart|incomplete_upload)$/);
      }
    });

    it('answers too many fields or files with 413 too_many_parts', async () => {
      let fields = http().post('/v1/images').set(asAdmin);
      for (let i = 0; i < 30; i++) fields = fields.field('label', 'x');
      expectEnvelope(await fields, 413, 'too_many_parts');
      let files = http().post('/v1/models/many-files/versions').set(asAdmin);
      for (let i = 0; i < 30; i++) files = files.attach('files', Buffer.from('{}'), `f${i}.bin`);
      expectEnvelope(await files, 413, 'too_many_parts');
    });
  });

  describe('free-text fields', () => {
    // The main thread's TF.js, where this file builds a head (and the app loads it).
    beforeAll(() => initTfBackend('cpu'));

    /** A model version upload: a head on the embedding, and the given text fields. */
    async function uploadHead(name: string, fields: Record<string, string>) {
      const files = await artifactFiles(denseHead(EMBEDDING_SIZE, 2), ['cat', 'dog']);
      let req = http().post(`/v1/models/${name}/versions`).set(asAdmin);
      for (const [field, value] of Object.entries(fields)) req = req.field(field, value);
      for (const file of files) req = req.attach('files', file.bytes, file.name);
      return req;
    }

    it.each([
      ['a description', { description: 'd'.repeat(1001) }, 400, 'text_too_long'],
      ['a 900 KB description', { description: 'd'.repeat(900_000) }, 400, 'text_too_long'],
      ['a task', { task: 't'.repeat(65) }, 400, 'text_too_long'],
      ['a label', { labels: JSON.stringify(['cat', 'l'.repeat(201)]) }, 422, 'invalid_labels'],
    ])(
      'refuses a model version with %s too long, storing nothing',
      async (_what, fields, status, code) => {
        const name = `bounded-${status}-${Object.keys(fields)[0]}`;
        expectEnvelope(await uploadHead(name, fields), status, code);
        await http().get(`/v1/models/${name}`).set(asAdmin).expect(404);
      },
    );

    it('takes a model version whose text fields are at their limits', async () => {
      const res = await uploadHead('bounded-ok', {
        description: 'd'.repeat(1000),
        task: 't'.repeat(64),
        labels: JSON.stringify(['c'.repeat(200), 'dog']),
      });
      expect(res.status).toBe(201);
    });

    it('refuses a filename over 255 characters, and metadata nested past 64 levels, storing nothing', async () => {
      const image = await testImages.png(9, 9);
      const longName = await http()
        .post('/v1/images')
        .set(asAdmin)
        .attach('file', image, { filename: `${'n'.repeat(252)}.png`, contentType: 'image/png' });
      expectEnvelope(longName, 400, 'text_too_long');
      const deepMetadata = await http()
        .post('/v1/images')
        .set(asAdmin)
        .field('metadata', `{"a":${deepJson(100)}}`)
        .attach('file', image, { filename: 'a.png', contentType: 'image/png' });
      expectEnvelope(deepMetadata, 400, 'json_too_deep');
      expect((await http().get('/v1/images').set(asAdmin).expect(200)).body.items).toEqual([]);
    });

    it('refuses an inference request id over 256 characters with 400 in the protocol shape', async () => {
      const res = await http()
        .post('/v2/models/moderation/infer')
        .set(asAdmin)
        .send({
          id: 'i'.repeat(257),
          inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['x'] }],
        });
      expectProtocolError(res, 400);
      expect(res.body.error).toMatch(/"id"/);
    });
  });

  describe('labels', () => {
    const NFC = 'caf\u00e9';
    const NFD = 'cafe\u0301';
    const EMOJI = '\u{1F600}';
    const createModel = (name: string, extra: Record<string, unknown>) =>
      http()
        .post('/v1/models')
        .set(asAdmin)
        .send({ name, kind: 'classifier', ...extra });

    it.each([
      ['none', []],
      ['one', ['cat']],
      ['one twice once trimmed', ['cat', ' cat ']],
      ['one in NFC and NFD', [NFC, NFD]],
      ['an empty one', ['cat', '  ']],
      ['an invisible one', ['cat', '\u200b']],
      ['an invisible one with spaces', ['cat', ' \ufeff\u2060 ']],
      ['one over 200 characters (code points)', ['cat', EMOJI.repeat(201)]],
    ])('refuses a trainable model with %s as labels with 400', async (_what, labels) => {
      expectEnvelope(await createModel('labels-bad', { labels }), 400, 'invalid_labels');
    });

    it('stores model labels in NFC, trimmed, counting code points', async () => {
      const res = await createModel('labels-nfc', { labels: [` ${NFD}`, EMOJI.repeat(200)] });
      expect([res.status, res.body.trainingLabels]).toEqual([201, [NFC, EMOJI.repeat(200)]]);
    });

    it('bounds a model description in code points, in JSON as in a form', async () => {
      const at = await createModel('described', { description: EMOJI.repeat(1000) });
      expect(at.status).toBe(201);
      const over = await createModel('overdescribed', { description: EMOJI.repeat(1001) });
      expectEnvelope(over, 400, 'text_too_long');
    });

    it('labels images in NFC and refuses invisible labels', async () => {
      const form = await http()
        .post('/v1/images')
        .set(asAdmin)
        .attach('file', await testImages.png(7, 7), { filename: 'l.png', contentType: 'image/png' })
        .expect(202);
      const put = (label: string) =>
        http().put(`/v1/images/${form.body.id}/label`).set(asAdmin).send({ label });
      expect((await put(NFD)).body.label).toBe(NFC);
      expect((await put(EMOJI.repeat(200))).status).toBe(200);
      expectEnvelope(await put(EMOJI.repeat(201)), 400, 'invalid_label');
      expectEnvelope(await put('\u200b\u200b'), 400, 'invalid_label');
      const bulk = await http()
        .post('/v1/labels')
        .set(asAdmin)
        .send({ items: [{ imageId: form.body.id, label: '\u200b' }] })
        .expect(200);
      expect(bulk.body.items[0].error.code).toBe('invalid_label');
    });
  });

  describe('query strings', () => {
    it.each(['0x10', '1e1', '+16', ' 16', '16.0.0'])(
      'refuses limit=%s (numbers are decimal) with 400',
      async (limit) => {
        const res = await http()
          .get(`/v1/images?limit=${encodeURIComponent(limit)}`)
          .set(asAdmin);
        expectEnvelope(res, 400, 'bad_request');
      },
    );

    it('takes a decimal limit', async () => {
      await http().get('/v1/images?limit=16').set(asAdmin).expect(200);
    });

    it.each([
      '/v1/models/moderation/versions?x=1',
      '/v1/me/export?x=1',
      '/v1/keys?x=1',
      '/v1/reports?x=1',
      '/v1/admin/batch/runs?x=1',
      '/v1/images?x=1',
    ])('refuses an unknown parameter in %s with 400', async (path) => {
      expectEnvelope(await http().get(path).set(asAdmin), 400, 'bad_request');
    });

    it('answers a malformed report day with 400 bad_request, as documented', async () => {
      expectEnvelope(await http().get('/v1/reports?from=abc').set(asAdmin), 400, 'bad_request');
    });
  });

  describe('URLs', () => {
    it('answers a path parameter over 100 characters with 414 uri_too_long', async () => {
      const res = await http()
        .get(`/v1/images/${'a'.repeat(101)}`)
        .set(asAdmin);
      expectEnvelope(res, 414, 'uri_too_long');
      expectProtocolError(await http().get(`/v2/models/${'m'.repeat(101)}`), 414);
    });
  });

  describe(`request timeouts (REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`, () => {
    it.each([
      [
        'an unauthenticated login',
        'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{"email":',
      ],
      [
        'an upload',
        `POST /v1/images HTTP/1.1\r\nHost: x\r\nX-API-Key: ${ADMIN_KEY}\r\n` +
          'Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000\r\n\r\n--x\r\n',
      ],
      ['headers that never end', 'GET /v1/images HTTP/1.1\r\nHost: x\r\nX-Slow: '],
    ])('cuts off %s whose client stalls, with 408 in the envelope', async (_what, head) => {
      const answer = await stallingRequest(port, head, REQUEST_TIMEOUT_MS * 5);
      expect(answer.status).toBe(408);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'request_timeout' } });
      expect(answer.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(answer.afterMs).toBeLessThan(REQUEST_TIMEOUT_MS * 3);
      await http().get('/health/live').expect(200);
    });

    it('answers a form declaring more than an upload may have with 413 at once', async () => {
      const head =
        `POST /v1/images HTTP/1.1\r\nHost: x\r\nX-API-Key: ${ADMIN_KEY}\r\n` +
        'Content-Type: multipart/form-data; boundary=x\r\n' +
        `Content-Length: ${50 * MAX_UPLOAD_BYTES}\r\n\r\n--x\r\n`;
      const answer = await stallingRequest(port, head, REQUEST_TIMEOUT_MS * 5);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large' } });
      expect(answer.headers).toMatch(/^connection: close$/im);
      expect(answer.afterMs).toBeLessThan(REQUEST_TIMEOUT_MS);
    });
  });
});
