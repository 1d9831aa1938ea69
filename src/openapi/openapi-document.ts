import { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import {
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  SecurityRequirementObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { ErrorEnvelopeResource } from '../common/http/error-envelope';
import { addErrorResponses } from './error-responses';
import { operationsOf } from './operations';
import { RouteFacts, routeFacts } from './route-facts';

/** The application's OpenAPI document: every route with its errors in the shape it answers. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Vireo')
      .setDescription(
        'Image uploads in, ML predictions out; learns from the labels users give back.',
      )
      .setVersion('1')
      .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
      .addServer('/')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
    { extraModels: [ErrorEnvelopeResource] },
  );
  const routes = routeFacts(app.get(ModulesContainer));
  addErrorResponses(document, routes, { $ref: getSchemaPath(ErrorEnvelopeResource) });
  describePublicRoutes(document, routes);
  return document;
}

const CREDENTIALS: SecurityRequirementObject[] = [{ bearer: [] }, { 'api-key': [] }];

/** Public routes say so (`security: []`; optional credentials add `{}`), as OpenAPI asks. */
function describePublicRoutes(document: OpenAPIObject, routes: Map<string, RouteFacts>): void {
  for (const operation of operationsOf(document)) {
    const route = routes.get(operation.operationId ?? '');
    if (route?.credentials === 'none') operation.security = [];
    if (route?.credentials === 'optional') operation.security = [{}, ...CREDENTIALS];
  }
}
