import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { Components, hostileValue, resolve, Schema, valueOf } from './schema-arbitraries';

export interface Operation {
  method: string;
  /** The OpenAPI path template, e.g. `/v1/images/{id}`. */
  path: string;
  parameters: { name: string; in: string; required?: boolean; schema?: Schema }[];
  bodies: Record<string, Schema>;
}

export interface FuzzRequest {
  method: string;
  /** Path and query, encoded as sent (odd encodings included on purpose). */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Known values for path parameters of the given name, so valid requests reach real rows. */
export type KnownValues = Record<string, string[]>;

/** Every operation of an OpenAPI document. */
export function operationsOf(document: {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Operation['parameters'];
        requestBody?: { content: Record<string, { schema?: Schema }> };
      }
    >
  >;
}): Operation[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: operation.parameters ?? [],
      bodies: Object.fromEntries(
        Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => [
          type,
          media.schema ?? {},
        ]),
      ),
    })),
  );
}

/** Path segments that a router, a decoder or a database might trip on. */
const ODD_SEGMENTS = [
  '%00',
  '%ZZ',
  '%',
  '..',
  '%2e%2e',
  '%2F',
  '%C0%80',
  '%FF',
  '%E2%80%AE',
  'a'.repeat(101),
  '~',
  '%20',
];

/** Requests for `operation`: valid ones, and mutated ones (`mutate`), with the given credential. */
export function requestsFor(
  operation: Operation,
  components: Components,
  known: KnownValues,
  credentials: fc.Arbitrary<Record<string, string>>,
): fc.Arbitrary<FuzzRequest> {
  return fc.boolean().chain((mutate) =>
    fc
      .record({
        path: pathOf(operation, known, mutate),
        query: queryOf(operation, components, mutate),
        credential: credentials,
        body: bodyOf(operation, components, mutate),
      })
      .map(({ path, query, credential, body }) => ({
        method: operation.method,
        url: query ? `${path}?${query}` : path,
        headers: { ...credential, ...(body?.headers ?? {}) },
        ...(body && { body: body.bytes }),
      })),
  );
}

function pathOf(operation: Operation, known: KnownValues, mutate: boolean): fc.Arbitrary<string> {
  const names = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
  const segments = names.map((name) => {
    const valid = fc.constantFrom(...(known[name] ?? ['x']));
    if (!mutate) return valid;
    return fc.oneof(
      { weight: 3, arbitrary: valid },
      { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map(encodeURIComponent) },
      { weight: 2, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
    );
  });
  return fc.tuple(...segments).map((values) => {
    let path = operation.path;
    names.forEach((name, i) => (path = path.replace(`{${name}}`, values[i])));
    return path;
  });
}

function queryOf(
  operation: Operation,
  components: Components,
  mutate: boolean,
): fc.Arbitrary<string> {
  const parameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  const entries = parameters.map((parameter) =>
    fc.option(
      valueOf(parameter.schema ?? { type: 'string' }, components, mutate).map(
        (value) => `${encodeURIComponent(parameter.name)}=${encodeURIComponent(asText(value))}`,
      ),
      { freq: 2 },
    ),
  );
  const odd = mutate
    ? fc.option(
        fc.constantFrom('x=%00', '%ZZ=1', 'a[b][c]=1', 'limit=1&limit=2', '&&=&', 'q=%E2%80'),
        { freq: 3 },
      )
    : fc.constant(null);
  return fc
    .tuple(fc.tuple(...entries), odd)
    .map(([values, extra]) =>
      [...values, extra].filter((value): value is string => value !== null).join('&'),
    );
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

interface Body {
  bytes: Buffer;
  headers: Record<string, string>;
}

function bodyOf(
  operation: Operation,
  components: Components,
  mutate: boolean,
): fc.Arbitrary<Body | undefined> {
  const kinds: fc.Arbitrary<Body | undefined>[] = [];
  const json = operation.bodies['application/json'];
  if (json) kinds.push(jsonBody(json, components, mutate));
  const form = operation.bodies['multipart/form-data'];
  if (form) kinds.push(multipartBody(form, components, mutate));
  if (operation.bodies['image/*'] || operation.bodies['application/octet-stream'])
    kinds.push(rawImageBody());
  if (kinds.length === 0) {
    kinds.push(fc.constant(undefined));
    if (mutate) kinds.push(jsonBody({}, components, true));
  }
  if (mutate) kinds.push(oddBody());
  return fc.oneof(...kinds);
}

function jsonBody(schema: Schema, components: Components, mutate: boolean): fc.Arbitrary<Body> {
  return valueOf(schema, components, mutate).map((value) => ({
    bytes: Buffer.from(JSON.stringify(value) ?? 'null'),
    headers: { 'content-type': 'application/json' },
  }));
}

/** Bytes that are no well-formed body of the type they claim. */
function oddBody(): fc.Arbitrary<Body> {
  return fc.oneof(
    fc.record({
      bytes: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      headers: fc.constantFrom<Record<string, string>>(
        { 'content-type': 'application/json' },
        { 'content-type': 'application/json; charset=latin1' },
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        { 'content-type': 'multipart/form-data' },
        { 'content-type': 'multipart/form-data; boundary=' },
        { 'content-type': 'image/png' },
        { 'content-type': 'application/octet-stream' },
        { 'content-type': 'application/xml' },
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      ),
    }),
    fc
      .tuple(
        fc.constantFrom(
          '{"a":',
          '\ufeff{"name":"x","scopes":["predict"]}',
          '{"__proto__":{"admin":true}}',
          '{"constructor":{"prototype":{"x":1}}}',
          '[1,2,',
          '{"name":"\\u0000"}',
          `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
          'name=%00&scopes=predict&scopes=images:read',
        ),
        fc.boolean(),
      )
      .map(([text, brokenUtf8]) => ({
        // 0xC3 0x28: a UTF-8 lead byte followed by no continuation byte.
        bytes: Buffer.concat([Buffer.from(text), Buffer.from(brokenUtf8 ? [0xc3, 0x28] : [])]),
        headers: {
          'content-type': text.startsWith('name=')
            ? 'application/x-www-form-urlencoded'
            : 'application/json',
        },
      })),
  );
}

/** A 1x1 PNG: a real image, so some requests get as far as decoding. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf' +
    'c0f01f0005000201a5e4c3f50000000049454e44ae426082',
  'hex',
);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect');

const fileBytes = fc.oneof(
  fc.constantFrom(
    PNG,
    SVG,
    Buffer.alloc(0),
    Buffer.from('GIF89a truncated'),
    Buffer.from('\u0000\u0000'),
  ),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);

function rawImageBody(): fc.Arbitrary<Body> {
  return fc.record({
    bytes: fileBytes,
    headers: fc.constantFrom(
      { 'content-type': 'image/png' },
      { 'content-type': 'image/svg+xml' },
      { 'content-type': 'application/octet-stream' },
    ),
  });
}

interface Part {
  name: string;
  filename?: string;
  type?: string;
  bytes: Buffer;
}

/** A form with the schema's fields and files (or other ones), well-formed or not. */
function multipartBody(
  schema: Schema,
  components: Components,
  mutate: boolean,
): fc.Arbitrary<Body> {
  const properties = Object.entries(resolve(schema, components).properties ?? {});
  const names = properties.map(([name]) => name);
  const fieldName = mutate
    ? fc.oneof(
        fc.constantFrom(...(names.length ? names : ['file'])),
        fc.string({ maxLength: 12 }),
        fc.constant('a\u0000'),
      )
    : fc.constantFrom(...(names.length ? names : ['file']));
  const text = mutate ? hostileValue.map(asText) : fc.string({ maxLength: 30 });
  const part: fc.Arbitrary<Part> = fc.oneof(
    fc.record({ name: fieldName, bytes: text.map((value) => Buffer.from(value)) }),
    fc.record({
      name: fieldName,
      filename: mutate
        ? fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.constantFrom('a\u0000.png', 'x'.repeat(300), '../a.json', 'model.json'),
          )
        : fc.constantFrom('a.png', 'model.json'),
      type: fc.constantFrom(
        'image/png',
        'application/octet-stream',
        'image/svg+xml',
        'application/json',
      ),
      bytes: fileBytes,
    }),
  );
  return fc
    .record({
      parts: fc.array(part, { maxLength: mutate ? 25 : 3 }),
      boundary: fc.constantFrom('fuzz-boundary', 'x', 'b'.repeat(70)),
      truncate: mutate ? fc.boolean() : fc.constant(false),
    })
    .map(({ parts, boundary, truncate }) => {
      const bytes = Buffer.concat([
        ...parts.map((p) =>
          Buffer.concat([
            Buffer.from(
              `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"` +
                (p.filename !== undefined ? `; filename="${p.filename}"` : '') +
                (p.type ? `\r\nContent-Type: ${p.type}` : '') +
                '\r\n\r\n',
            ),
            p.bytes,
            Buffer.from('\r\n'),
          ]),
        ),
        Buffer.from(truncate ? '' : `--${boundary}--\r\n`),
      ]);
      return { bytes, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
    });
}

/** Sends the request as given, on a connection of its own; rejects past `timeoutMs`. */
export function send(port: number, request: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.url,
        headers: {
          ...request.headers,
          connection: 'close',
          ...(request.body && { 'content-length': String(request.body.length) }),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
