import { extname, join } from 'node:path';

/**
 * CommonJS that starts the module `name` of directory `dir` in a new worker thread (evaluated
 * with `eval: true`). `sourceFile` is the caller's `__filename`: compiled (dist/), the module
 * is the .js beside it; from TypeScript sources (jest, `node -r @swc-node/register`), the
 * thread compiles the .ts the same way, since it shares no module loader with its parent.
 */
export function workerSource(sourceFile: string, dir: string, name: string): string {
  const extension = extname(sourceFile);
  const entry = JSON.stringify(join(dir, `${name}${extension}`));
  if (extension !== '.ts') return `require(${entry});`;
  return `require(${JSON.stringify(require.resolve('@swc-node/register'))}); require(${entry});`;
}
