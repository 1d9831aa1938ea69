/**
 * Training time of `train-classifier` per 1,000 labelled images, with their embeddings present
 * and with every embedding computed first (the backbone through the inference threads), on the
 * embedded defaults (`ROLE=all`, PGlite, local disk). Images are 256x256 PNGs of three shapes
 * (test/support/images.ts), labelled, stored as if processed. Rounds alternate
 * computed/present; medians of BENCH_ROUNDS each. Wall seconds and process CPU seconds (all
 * threads: the machine is shared, CPU time swings less).
 *
 *   node -r @swc-node/register bench/training.ts   (BENCH_TRAIN_IMAGES, default 300; BENCH_ROUNDS, 2)
 *
 * Target: < 60 s per 1,000 images on 2 cores including embeddings.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { ClassifierTraining } from '../src/modules/batch/training/classifier-training.service';
import { ModelRegistry } from '../src/modules/model';
import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { ObjectStorage } from '../src/modules/storage/object-storage';
import { bootApp } from '../test/support/app';
import { SHAPES, testImages } from '../test/support/images';

const IMAGES = Number(process.env.BENCH_TRAIN_IMAGES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MODEL = 'bench-shapes';

interface Sample {
  wallS: number;
  cpuS: number;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const app = await bootApp({ MODEL_PRELOAD: 'true', LOG_LEVEL: 'warn' });
  try {
    const prisma = app.app.get(DatabaseClient).prisma;
    const storage = app.app.get(ObjectStorage);
    const owner = await prisma.user.create({ data: { email: `bench-${Date.now()}@example.com` } });
    for (let i = 0; i < IMAGES; i++) {
      const shape = SHAPES[i % SHAPES.length];
      const bytes = await testImages.shape(shape, i);
      const key = `bench/${randomUUID()}.png`;
      await storage.put(key, Readable.from([bytes]), {
        contentType: 'image/png',
        expectedSize: bytes.length,
      });
      await prisma.image.create({
        data: {
          ownerId: owner.id,
          storageKey: key,
          status: 'processed',
          label: shape,
          labeledAt: new Date(),
        },
      });
    }
    await app.app.get(ModelRegistry).createTrainable({ name: MODEL, kind: 'classifier' });
    const training = app.app.get(ClassifierTraining, { strict: false });
    const run = async (): Promise<Sample> => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const summary = await training.train(randomUUID(), MODEL);
      const used = process.cpuUsage(cpu);
      if (summary.examples !== IMAGES) throw new Error(`trained on ${summary.examples} images`);
      return { wallS: (performance.now() - started) / 1000, cpuS: (used.user + used.system) / 1e6 };
    };
    const computed: Sample[] = [];
    const present: Sample[] = [];
    await run(); // warm-up: the backbone's threads, TF.js in the training thread
    for (let round = 0; round < ROUNDS; round++) {
      await prisma.embedding.deleteMany({});
      computed.push(await run());
      present.push(await run());
    }
    const per1000 = (samples: Sample[], key: keyof Sample) =>
      (median(samples.map((s) => s[key])) * 1000) / IMAGES;
    console.log(
      JSON.stringify(
        {
          images: IMAGES,
          rounds: ROUNDS,
          epochs: app.config.training.epochs,
          cores: cpus().length,
          loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
          secondsPer1000: {
            embeddingsPresent: { wall: per1000(present, 'wallS'), cpu: per1000(present, 'cpuS') },
            embeddingsComputed: {
              wall: per1000(computed, 'wallS'),
              cpu: per1000(computed, 'cpuS'),
            },
          },
          samples: { computed, present },
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
