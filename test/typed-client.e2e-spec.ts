import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { bootListeningApp, TestApp } from './support/app';
import { testImages } from './support/images';

const run = promisify(execFile);
const ADMIN_KEY = 'vir_clientadmin_0123456789abcdefghijABCDEFGHIJ';
const ROOT = resolve(__dirname, '..');
const EXAMPLE = join(ROOT, 'examples/client');
const SCRIPT = join(EXAMPLE, 'upload-and-label.ts');

/** Runs a Node.js program from the repository root; a failure carries its output. */
async function node(args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    throw new Error(`node ${args.join(' ')} failed:\n${stdout}${stderr}`, {
      cause: error,
    });
  }
}

/**
 * `tsc` over `files` with the example's settings, `./vireo-api` resolved to the types generated
 * in `dir` (rootDirs merges the two folders), so the test never writes into the repository.
 */
async function typeCheck(dir: string, files: string[]): Promise<string> {
  const tsconfig = join(dir, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(EXAMPLE, 'tsconfig.json'),
      compilerOptions: { rootDirs: [EXAMPLE, dir], typeRoots: [join(ROOT, 'node_modules/@types')] },
      files,
    }),
  );
  return node([require.resolve('typescript/bin/tsc'), '-p', tsconfig]);
}

describe('typed client for OpenAPI consumers (examples/client/upload-and-label.ts)', () => {
  let app: TestApp;
  let dir: string;

  beforeAll(async () => {
    [app, dir] = await Promise.all([
      bootListeningApp({ ADMIN_API_KEY: ADMIN_KEY }),
      mkdtemp(join(tmpdir(), 'vireo-client-')),
    ]);
    await node([
      'scripts/client-types.mjs',
      `${app.config.http.publicUrl}/openapi.json`,
      join(dir, 'vireo-api.d.ts'),
    ]);
  });

  afterAll(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('type-checks against types generated from /openapi.json, which reject a wrong call', async () => {
    // The types are the document's, not `any`: a missing path parameter and a wrong body fail.
    const misuse = join(dir, 'misuse.ts');
    await writeFile(
      misuse,
      [
        // From outside the repository: openapi-fetch by its path.
        `import createClient from '${require.resolve('openapi-fetch')}';`,
        "import type { paths } from './vireo-api';",
        'const vireo = createClient<paths>();',
        "void vireo.GET('/v1/images/{id}', {});",
        "void vireo.PUT('/v1/images/{id}/label', { params: { path: { id: 'x' } }, body: { label: 1 } });",
      ].join('\n'),
    );
    // One tsc run for both: errors in the misuse only, none in the example.
    const failure = await typeCheck(dir, [SCRIPT, misuse]).then(
      () => '',
      (error: Error) => error.message,
    );
    const errors = failure.split('\n').filter((line) => line.includes('error TS'));
    expect(errors).toEqual([
      expect.stringMatching(/misuse\.ts\(4,/),
      expect.stringMatching(/misuse\.ts\(5,/),
    ]);
    expect(failure).toContain("Property 'params' is missing");
    expect(failure).toContain("Type 'number' is not assignable to type 'string'");
  });

  it('uploads an image, waits for its predictions and labels it against the running app', async () => {
    const image = join(dir, 'sky.jpg');
    await writeFile(image, await testImages.jpeg(64, 48, '#3399ff'));
    const output = await node(['-r', '@swc-node/register', SCRIPT, image, 'sky'], {
      VIREO_URL: app.config.http.publicUrl,
      VIREO_API_KEY: ADMIN_KEY,
    });

    const printed = JSON.parse(output);
    expect(printed).toEqual({
      id: expect.any(String),
      status: 'processed',
      label: 'sky',
      predictions: [
        expect.objectContaining({ model: expect.any(String), label: expect.any(String) }),
      ],
    });
    // What the script printed is what the API stored.
    const stored = await app
      .http()
      .get(`/v1/images/${printed.id}`)
      .set('x-api-key', ADMIN_KEY)
      .expect(200);
    expect(stored.body).toMatchObject({ status: 'processed', label: 'sky' });
    expect(
      stored.body.predictions.map(({ model, label }: { model: string; label: string }) => ({
        model,
        label,
      })),
    ).toEqual(
      printed.predictions.map(({ model, label }: { model: string; label: string }) => ({
        model,
        label,
      })),
    );
  });
});
