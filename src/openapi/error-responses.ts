import type { OpenAPIObject } from '@nestjs/swagger';
import { operationsOf } from './operations';
import type { RouteFacts } from './route-facts';

type ResponseObject = { description: string; content?: Record<string, { schema?: object }> };

/** The errors every route of a kind answers, documented once here rather than on each route. */
const COMMON_ERRORS: {
  status: string;
  applies: (route: RouteFacts) => boolean;
  description: string;
}[] = [
  {
    status: '400',
    applies: () => true,
    description:
      'Invalid input: a field fails validation, or odd input such as NUL in the URL (`invalid_characters`).',
  },
  {
    status: '401',
    applies: (route) => route.credentials !== 'none',
    description:
      'No usable credential: `missing_credentials`, `malformed_credentials`, `invalid_credentials`, `credentials_expired` or `credentials_revoked`.',
  },
  {
    status: '403',
    applies: (route) => route.credentials !== 'none' && route.needsScopes,
    description: 'The credential lacks a scope this route needs (`insufficient_scope`).',
  },
  {
    status: '404',
    applies: (route) => route.hasPathParameters,
    description: "No such resource for this caller (another owner's answers the same).",
  },
  {
    status: '413',
    applies: (route) => route.takesBody,
    description: 'The body is larger than the route accepts.',
  },
  {
    status: '415',
    applies: (route) => route.takesBody,
    description: 'The body has a content type the route does not take.',
  },
  {
    status: '429',
    applies: (route) => route.rateLimited,
    description: 'Over the rate limit (`rate_limited`); `Retry-After` says when to try again.',
  },
];

/**
 * Adds the errors each route answers by its guards and pipes, with the shape it answers them in:
 * the operation's own `default` error schema where it declares one (the `/v2` Open Inference
 * Protocol's `{ error }`), else the shared envelope. Declared error responses get the schema too.
 */
export function addErrorResponses(
  document: OpenAPIObject,
  routes: Map<string, RouteFacts>,
  envelope: object,
): void {
  for (const operation of operationsOf(document)) {
    const route = routes.get(operation.operationId ?? '');
    if (!route) continue;
    const responses = operation.responses as Record<string, ResponseObject>;
    const schema = responses.default?.content?.['application/json']?.schema ?? envelope;
    const content = { 'application/json': { schema } };
    for (const [status, response] of Object.entries(responses)) {
      if (/^[45]/.test(status) && !response.content) response.content = content;
    }
    for (const error of COMMON_ERRORS) {
      if (error.applies(route) && !responses[error.status]) {
        responses[error.status] = { description: error.description, content };
      }
    }
  }
}
