import { createConfig, lintFromString } from '@redocly/openapi-core';
import { NO_REQUEST_BODY } from '../src/common/http/no-request-body.decorator';
import { bootApp, TestApp } from './support/app';

interface Schema {
  $ref?: string;
}
interface Response {
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: { name: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, Response>;
  [NO_REQUEST_BODY]?: boolean;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const BODY_METHODS = new Set(['post', 'put', 'patch']);
/** Success answers that carry no body. */
const EMPTY_SUCCESS = new Set(['204', '205', '302', '303', '307']);

/**
 * What every route of the document must say, whoever adds it: its request (parameters and body,
 * or that it takes none) and its answers, successes and errors, each with a schema; 4xx errors in
 * the shared envelope, or on `/v2` in the Open Inference Protocol's `{ error }`.
 */
function gapsOf(path: string, method: string, operation: Operation): string[] {
  const gaps: string[] = [];
  if (!operation.summary) gaps.push('no summary');
  for (const parameter of operation.parameters ?? []) {
    if (!parameter.schema) gaps.push(`parameter ${parameter.name} has no schema`);
  }
  if (operation.requestBody) {
    for (const [type, media] of Object.entries(operation.requestBody.content)) {
      if (!media.schema) gaps.push(`request ${type} has no schema`);
    }
  } else if (BODY_METHODS.has(method) && !operation[NO_REQUEST_BODY]) {
    gaps.push('no request body (mark a body-less route with @NoRequestBody())');
  }
  const statuses = Object.keys(operation.responses);
  if (!statuses.some((status) => /^[23]/.test(status))) gaps.push('no success response');
  if (!statuses.some((status) => /^4/.test(status))) gaps.push('no error responses');
  const errorSchema = path.startsWith('/v2')
    ? '#/components/schemas/InferenceErrorDto'
    : '#/components/schemas/ErrorEnvelopeResource';
  for (const [status, response] of Object.entries(operation.responses)) {
    const media = Object.entries(response.content ?? {});
    if (/^4|default/.test(status)) {
      const refs = media.map(([, { schema }]) => schema?.$ref);
      if (refs.length === 0 || refs.some((ref) => ref !== errorSchema)) {
        gaps.push(`${status} is not ${errorSchema}`);
      }
    } else if (/^5/.test(status)) {
      // The error shape, or a state in the route's own shape (OIP readiness: `{ ready: false }`).
      if (media.length === 0 || media.some(([, { schema }]) => !schema)) {
        gaps.push(`${status} has no schema`);
      }
    } else if (!EMPTY_SUCCESS.has(status)) {
      if (media.length === 0) gaps.push(`${status} has no content`);
      for (const [type, { schema }] of media)
        if (!schema) gaps.push(`${status} ${type} has no schema`);
    }
  }
  return gaps.map((gap) => `${method.toUpperCase()} ${path}: ${gap}`);
}

describe('OpenAPI document (/openapi.json)', () => {
  let app: TestApp;
  let source: string;
  let document: Document;

  beforeAll(async () => {
    app = await bootApp();
    const response = await app.http().get('/openapi.json').expect(200);
    source = response.text;
    document = JSON.parse(source);
  });

  afterAll(() => app?.close());

  it("passes Redocly's recommended lint rules without a warning", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
    expect(
      problems.map(
        (problem) =>
          `${problem.severity} ${problem.ruleId}: ${problem.message} ${problem.location[0]?.pointer}`,
      ),
    ).toEqual([]);
  });

  it('gives every route its request, its answers and its errors, each with a schema', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThan(40);
    const gaps = operations.flatMap(({ path, method, operation }) =>
      gapsOf(path, method, operation),
    );
    expect(gaps).toEqual([]);
    expect(document.components.schemas.ErrorEnvelopeResource).toMatchObject({
      required: ['error'],
    });
  });

  it('documents the errors the guards answer: credentials, scopes, rate limits, unknown ids', () => {
    const upload = document.paths['/v1/images'].post.responses;
    expect(Object.keys(upload)).toEqual(expect.arrayContaining(['400', '401', '403', '429']));
    const image = document.paths['/v1/images/{id}'].get.responses;
    expect(Object.keys(image)).toEqual(expect.arrayContaining(['401', '403', '404', '429']));
    const live = document.paths['/health/live'].get;
    expect(Object.keys(live.responses)).not.toContain('401');
    expect(live).toMatchObject({ security: [] });
    const infer = document.paths['/v2/models/{name}/infer'].post.responses;
    expect(infer['401'].content?.['application/json'].schema?.$ref).toBe(
      '#/components/schemas/InferenceErrorDto',
    );
  });
});
