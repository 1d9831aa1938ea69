// Bundles the web console (src/modules/console/ui) into dist/modules/console/public with
// esbuild: Preact + htm from node_modules, no CDN. Run by `npm run build` after `nest build`.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'src/modules/console/ui');
const out = join(root, 'dist/modules/console/public');

await mkdir(out, { recursive: true });
await build({
  entryPoints: { console: join(ui, 'main.ts'), 'console-style': join(ui, 'console.css') },
  outdir: out,
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(join(ui, 'index.html'), join(out, 'index.html'));
