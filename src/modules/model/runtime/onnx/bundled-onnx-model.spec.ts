import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledOnnxModel } from './bundled-onnx-model';

describe('bundledOnnxModel (the converted backbone, cached in a folder)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vireo-onnx-cache-'));
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('converts once, then reads the cached graph named by its source checksum', async () => {
    const first = await bundledOnnxModel(join(dir, 'models'));
    const second = await bundledOnnxModel(join(dir, 'models'));

    expect(first.converted).toBe(true);
    expect(second).toMatchObject({ converted: false, path: first.path });
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect(first.path).toMatch(/mobilenet_v2-[0-9a-f]{16}\.onnx$/);
  });

  it('converts again when the cached graph no longer matches its checksum', async () => {
    const first = await bundledOnnxModel(dir);
    await writeFile(first.path, first.bytes.subarray(0, 1000));

    const again = await bundledOnnxModel(dir);

    expect(again.converted).toBe(true);
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect((await bundledOnnxModel(dir)).converted).toBe(false);
  });

  it('still gives the graph when the folder cannot be written', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'not a folder');
    const warnings: string[] = [];

    const model = await bundledOnnxModel(join(blocker, 'models'), (m) => warnings.push(m));

    expect(model.converted).toBe(true);
    expect(model.bytes.length).toBeGreaterThan(1_000_000);
    expect(warnings).toEqual([expect.stringContaining('Could not cache the ONNX model')]);
    expect(await readdir(dir)).toEqual(['file']);
  });
});
