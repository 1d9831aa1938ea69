import { waitUntil } from '../../../../test/support/eventually';
import { testImages } from '../../../../test/support/images';
import { concatPixels, TfjsBackbone } from './backbone';
import { preprocessImage } from './image-preprocessor';
import { InferencePool } from './inference-pool';
import { InferenceThread, InferenceThreadExitedError } from './inference-thread';

/**
 * A stand-in thread body speaking the real protocol: it answers after `count` x 10 ms with
 * its threadId as the only score, and exits (a crash) when asked for 0 images.
 */
const FAKE_THREAD = `
  const { parentPort, threadId } = require('node:worker_threads');
  parentPort.on('message', ({ type, id, count }) => {
    if (type === 'close') process.exit(0);
    if (count === 0) process.exit(3);
    const output = { count, scores: new Float32Array([threadId]), embeddings: new Float32Array(0) };
    setTimeout(() => parentPort.postMessage({ type: 'result', id, output }), count * 10);
  });
  parentPort.postMessage({ type: 'ready', engine: { runtime: 'tfjs', backend: 'cpu' } });
`;

const TFJS_CPU = { runtime: 'tfjs', backend: 'cpu' } as const;

const fakePool = (size: number) =>
  InferencePool.startWith(size, () => InferenceThread.spawn(FAKE_THREAD, TFJS_CPU));

const threadOf = async (call: Promise<{ scores: Float32Array }>) => (await call).scores[0];

describe('InferencePool with the real model', () => {
  let pool: InferencePool;
  let reference: TfjsBackbone;

  beforeAll(async () => {
    [pool, reference] = await Promise.all([
      InferencePool.start({ threads: 2, runtime: 'tfjs', backend: 'auto' }),
      TfjsBackbone.load('auto'),
    ]);
  });

  afterAll(async () => {
    await pool.close();
    reference.dispose();
  });

  it('runs in threads on the backend chosen there, with the results of an in-process run', async () => {
    const images = await Promise.all([testImages.jpeg(), testImages.noiseJpeg(20_000)]);
    const pixels = concatPixels(await Promise.all(images.map(preprocessImage)));
    const expected = await reference.run(pixels, 2);

    const [first, second] = await Promise.all([
      pool.run(pixels.slice(), 2),
      pool.run(pixels.slice(), 2),
    ]);

    expect(pool.engine).toEqual(reference.engine);
    expect(pool.size).toBe(2);
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
  });

  it('hands the pixels over to the thread rather than copying them', async () => {
    const pixels = concatPixels([await preprocessImage(await testImages.png())]);

    await pool.run(pixels, 1);

    expect(pixels.length).toBe(0);
  });

  it('answers a malformed request with an error and keeps the thread', async () => {
    await expect(pool.run(new Float32Array(10), 1)).rejects.toThrow('Expected 1 x');
    expect(pool.size).toBe(2);
  });
});

describe('InferencePool threads', () => {
  it('sends each call to the least busy thread', async () => {
    const pool = await fakePool(2);
    try {
      const slow = threadOf(pool.run(new Float32Array(0), 20));
      const next = [1, 1, 1].map((count) => threadOf(pool.run(new Float32Array(0), count)));

      const [slowThread, ...others] = await Promise.all([slow, ...next]);

      // While the slow call is running, the other thread is always the less busy one.
      expect(others[0]).not.toBe(slowThread);
      expect(new Set([slowThread, ...others]).size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('replaces a thread that dies, failing only the calls it had', async () => {
    const pool = await fakePool(2);
    try {
      // Least busy first, ties to the first thread: A gets the 1st and 3rd calls, B the rest.
      const run = (count: number) => pool.run(new Float32Array(0), count);
      const onA = [run(5)];
      const onB = [run(5)];
      onA.push(run(5));
      onB.push(run(0));
      const [a, b] = await Promise.all([Promise.allSettled(onA), Promise.allSettled(onB)]);

      expect(a.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(b).toEqual([
        { status: 'rejected', reason: expect.any(InferenceThreadExitedError) },
        { status: 'rejected', reason: expect.any(InferenceThreadExitedError) },
      ]);
      await waitUntil(() => pool.size === 2);
      const threads = await Promise.all([1, 1].map((n) => threadOf(run(n))));
      expect(new Set(threads).size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('does not start when a thread fails to start', async () => {
    const spawn = jest
      .fn<Promise<InferenceThread>, []>()
      .mockImplementationOnce(() => InferenceThread.spawn(FAKE_THREAD, TFJS_CPU))
      .mockImplementationOnce(() =>
        InferenceThread.spawn(`throw new Error('no backend here')`, TFJS_CPU),
      );

    await expect(InferencePool.startWith(2, spawn)).rejects.toThrow('no backend here');
  });

  it('refuses calls once closed', async () => {
    const pool = await fakePool(1);
    await pool.close();

    await expect(pool.run(new Float32Array(0), 1)).rejects.toThrow('No inference thread');
  });
});
