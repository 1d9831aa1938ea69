// TypeScript types of the API for client apps, from a running Vireo's OpenAPI document:
//   node scripts/client-types.mjs [source] [out]
// source: a URL or file (default http://localhost:3000/openapi.json),
// out: default examples/client/vireo-api.d.ts (used by examples/client/upload-and-label.ts).
import { writeFile } from 'node:fs/promises';
import { pathToFileURL, URL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

const [source = 'http://localhost:3000/openapi.json', out = 'examples/client/vireo-api.d.ts'] =
  process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode('Blob');
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

const ast = await openapiTS(/^https?:/.test(source) ? new URL(source) : pathToFileURL(source), {
  // Uploads are files (what FormData takes), not the strings JSON Schema calls them.
  transform(schema) {
    if (schema.format !== 'binary') return undefined;
    return schema.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
  },
});
await writeFile(out, astToString(ast));
