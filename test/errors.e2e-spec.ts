import { bootApp, TestApp } from './support/app';

describe('errors and request ids', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ MAX_JSON_BYTES: '1024' });
  });
  afterAll(() => t.close());

  const envelope = (code: string) => ({
    error: { code, message: expect.any(String), requestId: expect.any(String) },
  });

  it('answers an unknown route with 404 in the envelope', async () => {
    const res = await t.http().get('/no/such/route').expect(404);
    expect(res.body).toEqual(envelope('not_found'));
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('answers a malformed JSON body with 400, not a stack trace', async () => {
    const res = await t
      .http()
      .post('/health/live')
      .set('content-type', 'application/json')
      .send('{"broken": ')
      .expect(400);
    expect(res.body).toEqual(envelope('bad_request'));
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers an oversized body with 413', async () => {
    const res = await t
      .http()
      .post('/health/live')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(4096) }))
      .expect(413);
    expect(res.body).toEqual(envelope('payload_too_large'));
  });

  it('echoes a given X-Request-Id and generates one otherwise', async () => {
    const given = await t.http().get('/health/live').set('x-request-id', 'trace-42').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-42');
    const generated = await t.http().get('/health/live').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not echo an unsafe X-Request-Id', async () => {
    const res = await t
      .http()
      .get('/health/live')
      .set('x-request-id', 'evil id\twith spaces')
      .expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('security headers and CORS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(() => t.close());

  it('sends helmet security headers', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
  });

  it('allows only the configured origins', async () => {
    const allowed = await t
      .http()
      .get('/health/live')
      .set('origin', 'https://app.example.com')
      .expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-expose-headers']).toContain('X-Request-Id');
    const other = await t
      .http()
      .get('/health/live')
      .set('origin', 'https://evil.example.com')
      .expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
