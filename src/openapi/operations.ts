import type { OpenAPIObject, OperationObject, PathItemObject } from '@nestjs/swagger';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation of the document. */
export function operationsOf(document: OpenAPIObject): OperationObject[] {
  return Object.values(document.paths as Record<string, PathItemObject>).flatMap((pathItem) =>
    METHODS.flatMap((method) => pathItem[method] ?? []),
  );
}
