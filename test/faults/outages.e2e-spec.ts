import { Queue } from 'bullmq';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import { eventually, sleep } from '../support/eventually';
import { compareRowsAndObjects } from './support/audit';
import { Fleet } from './support/fleet';
import { Load, RequestKind, Tally } from './support/load';
import { createPostgresCluster, PostgresCluster } from './support/postgres-cluster';
import { HealthProbes, ProbeRecord, secondsUntilReady } from './support/probes';
import { RedisServer, startRedisServer } from './support/redis-server';
import { S3Server, startS3Server } from './support/s3-server';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * Outages under load (issue 16). One set of processes (two web replicas behind nginx, a
 * worker, a scheduler) on a Redis, a PostgreSQL cluster and an S3 server of the test's own,
 * through five faults in a row. Each scenario puts steady load on the platform (uploads direct
 * and presigned, /v1/predict, SSE), injects its fault, and checks the answers during it and
 * the state after it. The closing table (one row per scenario) is printed at the end and
 * written to test-results/outages.md after each scenario.
 */

const ADMIN_API_KEY = 'vir_faultsadmin_0123456789abcdefghijABCDEFGHIJ';
/** The default: a request answered later than this counts as a hang. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Each outage lasts at least this long (the issue's ~10 s), and until it has been seen. */
const OUTAGE_MS = 10_000;
/** Scenario 4: the worker is SIGKILLed, mid-job, this many times at least, for this long. */
const WORKER_KILLS = 4;
const WORKER_KILLS_FOR_MS = 60_000;
/** Bounds of the waits on a condition; a loaded 2-core machine is slow, never this slow. */
const CONDITION_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 120_000;
/** Every image processed reaches the webhook receiver within this after the drain. */
const WEBHOOK_TIMEOUT_MS = 90_000;
/** Every process answers readiness 200 again within this after the dependency is back. */
const READY_TIMEOUT_MS = 180_000;
/** Every kind of request the load sends answers 2xx before a fault and again after it. */
const LOAD_KINDS: RequestKind[] = ['upload', 'predict', 'presign', 'complete', 'events'];
/** Where the closing table goes besides the test output (`FAULTS_REPORT` overrides). */
const REPORT_FILE = process.env.FAULTS_REPORT ?? join(__dirname, '../../test-results/outages.md');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface Row {
  scenario: string;
  tally: Tally;
  lost: number;
  duplicated: number;
  readyS: number;
  drainedS: number;
  batch: string;
}

describe('outages under load (test/faults)', () => {
  let redis: RedisServer;
  let postgres: PostgresCluster;
  let s3: S3Server;
  let fleet: Fleet;
  let receiver: WebhookReceiver;
  let db: Pool;
  let productionModels: number;
  const table: Row[] = [];
  const suiteStarted = Date.now();

  const webUrl = () => fleet.get('web1').url;
  const processUrls = () =>
    [...fleet.members.values()].map(({ name, process }) => ({ name, url: process.url }));

  beforeAll(async () => {
    [redis, postgres, s3, receiver] = await Promise.all([
      startRedisServer(),
      createPostgresCluster(),
      startS3Server(),
      WebhookReceiver.start(),
    ]);
    fleet = await Fleet.start({
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      SIGNING_SECRET: 'faults-signing-secret-0123456789abcdef',
      ADMIN_API_KEY,
      INFERENCE_THREADS: '1',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      RATE_LIMIT_UPLOADS_PER_MIN: '100000',
      RATE_LIMIT_PREDICT_PER_MIN: '100000',
      RATE_LIMIT_READS_PER_MIN: '100000',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // A killed worker's jobs come back within seconds, and so do images whose jobs vanished.
      QUEUE_LOCK_MS: '2000',
      RECONCILE_INTERVAL_S: '2',
      RECONCILE_STALE_S: '5',
    });
    // A pool: its connections die with the server in scenario 2 and are opened again after.
    db = new Pool({ connectionString: postgres.url, max: 2 });
    db.on('error', () => undefined);
    productionModels = await countOf(
      `SELECT count(*) AS n FROM model_versions WHERE status = 'production'`,
    );
  }, 900_000);

  afterAll(async () => {
    if (table.length > 0) console.log(formatTable(table));
    // The stand-in's own failures (none expected since its store was made safe), to tell a
    // failure of s3rver from one of Vireo.
    if (s3?.errors()) console.log(`s3rver logged:\n${s3.errors().slice(-5000)}`);
    await db?.end().catch(() => undefined);
    await fleet?.stop();
    await Promise.all([redis?.kill(), postgres?.destroy(), s3?.destroy(), receiver?.stop()]);
  }, 60_000);

  afterEach(() => {
    expect(fleet?.unexpectedExits).toEqual([]);
  });

  async function countOf(sql: string, params: unknown[] = []): Promise<number> {
    return Number((await db.query<{ n: string }>(sql, params)).rows[0].n);
  }

  async function admin(path: string, body: Json, key = ADMIN_API_KEY): Promise<Json> {
    const res = await fetch(`${webUrl()}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** A user of the scenario's own, with an API key and a webhook on image.processed. */
  async function newOwner(scenario: string): Promise<{ id: string; key: string }> {
    const user = await admin('/v1/admin/users', {
      email: `${scenario}-${Date.now()}@example.com`,
      password: 'p'.repeat(16),
    });
    const { key } = await admin('/v1/keys', {
      name: scenario,
      scopes: ['images:write', 'images:read', 'predict'],
      ownerId: user.id,
    });
    await admin(
      '/v1/webhooks',
      { url: `${receiver.url}/${scenario}`, events: ['image.processed'] },
      key as string,
    );
    return { id: user.id as string, key: key as string };
  }

  /** Seconds until every accepted image is processed (or failed), counted from `since`. */
  async function drained(ids: string[], since: number): Promise<number> {
    await eventually(
      async () =>
        (await countOf(
          `SELECT count(*) AS n FROM images WHERE id = ANY($1::uuid[]) AND status IN ('uploaded', 'processing')`,
          [ids],
        )) === 0 || undefined,
      DRAIN_TIMEOUT_MS,
      250,
    ).catch(() => undefined);
    return (Date.now() - since) / 1000;
  }

  /**
   * The state after a scenario: every accepted image processed once (one prediction per
   * production model), counted once in the owner's stats, announced by one webhook message.
   */
  async function settle(owner: { id: string; key: string }, load: Load) {
    const ids = [...load.accepted];
    const notProcessed = await db.query<{ id: string; status: string; failure_code: string }>(
      `SELECT id, status::text, failure_code FROM images WHERE id = ANY($1::uuid[]) AND status <> 'processed'`,
      [ids],
    );
    const missing =
      ids.length -
      (await countOf(`SELECT count(*) AS n FROM images WHERE id = ANY($1::uuid[])`, [ids]));
    const wrongPredictions = await countOf(
      `SELECT count(*) AS n FROM (SELECT i.id FROM images i LEFT JOIN predictions p ON p.image_id = i.id
         WHERE i.id = ANY($1::uuid[]) AND i.status = 'processed' GROUP BY i.id HAVING count(p.id) <> $2) wrong`,
      [ids, productionModels],
    );
    const processedOfOwner = await countOf(
      `SELECT count(*) AS n FROM images WHERE owner_id = $1 AND status = 'processed'`,
      [owner.id],
    );
    const stats = (await (
      await fetch(`${webUrl()}/v1/stats`, { headers: { 'x-api-key': owner.key } })
    ).json()) as { total: { processed: number } };
    const processedIds = ids.filter((id) => !notProcessed.rows.some((row) => row.id === id));
    // Webhook jobs run after the predictions are stored; give them a moment. A delivery that
    // met the outage is retried with backoff (1, 2, 4, ... 64 s): an outage that a loaded
    // machine stretches past 30 s puts the next attempt a minute later.
    const deliveredTo = (id: string) =>
      receiver.deliveries.filter((d) => d.imageId === id && d.type === 'image.processed');
    await eventually(
      async () => processedIds.every((id) => deliveredTo(id).length > 0) || undefined,
      WEBHOOK_TIMEOUT_MS,
      250,
    ).catch(() => undefined);
    const webhooksMissing = processedIds.filter((id) => deliveredTo(id).length === 0);
    const webhookIdsPerEvent = processedIds.map(
      (id) => new Set(deliveredTo(id).map((d) => d.webhookId)).size,
    );
    return {
      lost: notProcessed.rows.length + missing,
      notProcessed: notProcessed.rows,
      duplicated:
        wrongPredictions +
        Math.abs(stats.total.processed - processedOfOwner) +
        webhookIdsPerEvent.filter((n) => n > 1).length,
      wrongPredictions,
      statsProcessed: stats.total.processed,
      processedOfOwner,
      webhooksMissing,
      webhookIdsPerEvent,
    };
  }

  interface FaultContext {
    load: Load;
    probes: HealthProbes;
  }

  interface Outage {
    /** Injects the fault; resolves when the outage is over (the dependency is back). */
    run(context: FaultContext): Promise<void>;
    /** Processes whose readiness must turn 503 during the outage. */
    unready: string[];
  }

  async function batchRunStatus(id: string): Promise<string> {
    const res = await fetch(`${webUrl()}/v1/admin/batch/runs/${id}`, {
      headers: { 'x-api-key': ADMIN_API_KEY },
    });
    return ((await res.json()) as Json).status as string;
  }

  /** Waits until every kind of request has answered 2xx since `since`. */
  async function loadAnswering(load: Load, since: number): Promise<void> {
    await eventually(
      async () => LOAD_KINDS.every((kind) => load.succeededSince(kind, since) > 0) || undefined,
      CONDITION_TIMEOUT_MS,
      100,
    ).catch(() => undefined);
  }

  /**
   * Keeps a dependency down for OUTAGE_MS, and longer if need be until the outage has been
   * seen: readiness 503 on each process that must turn unready, and answers to requests sent
   * since the fault. A loaded machine makes probes and clients slow, not the outage shorter.
   */
  async function holdOutage(
    { load, probes }: FaultContext,
    unready: string[],
    since: number,
  ): Promise<void> {
    await sleep(Math.max(0, since + OUTAGE_MS - Date.now()));
    await eventually(
      async () => (probes.sawUnready(unready) && load.answeredSince(since) >= 3) || undefined,
      CONDITION_TIMEOUT_MS,
      100,
    ).catch(() => undefined);
  }

  async function scenario(name: string, outage: Outage): Promise<void> {
    const owner = await newOwner(name);
    const load = new Load(fleet.url, owner.key, REQUEST_TIMEOUT_MS);
    load.start();
    await loadAnswering(load, 0);
    // A batch run over every image so far, in flight when the fault hits.
    const batchRun = await admin('/v1/admin/batch/compute-embeddings', {});
    const probes = new HealthProbes(processUrls());
    const faultAt = Date.now();
    await outage.run({ load, probes });
    const over = Date.now();
    const records = await probes.stop();
    const readyS = await secondsUntilReady(
      [...fleet.members.values()].map(({ process }) => process.url),
      over,
      READY_TIMEOUT_MS,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${fleet.logTails()}`);
    });
    // Clients keep going until the recovered platform has answered every kind of request.
    await loadAnswering(load, over + readyS * 1000);
    await load.stop();
    const drainedS = await drained([...load.accepted], over);
    const result = await settle(owner, load);
    // After Redis restarted empty, the batch reconciler queues the run's lost steps again.
    const batchStatus = await eventually(
      async () => {
        const status = await batchRunStatus(batchRun.id as string);
        return status === 'completed' || status === 'failed' ? status : undefined;
      },
      DRAIN_TIMEOUT_MS,
      500,
    ).catch(() => batchRunStatus(batchRun.id as string));
    const tally = load.tally();
    table.push({
      scenario: name,
      tally,
      lost: result.lost,
      duplicated: result.duplicated,
      readyS,
      drainedS,
      batch: batchStatus,
    });
    await writeReport(table, (Date.now() - suiteStarted) / 1000);

    expect({
      other: tally.other,
      samples: tally.others,
      // Where the answers fell against the fault, and what nginx saw, to tell who failed.
      context: tally.other > 0 ? { faultAt, over, nginx: fleet.nginxErrors().slice(-3000) } : {},
    }).toEqual({ other: 0, samples: [], context: {} });
    expect(tally.slowestMs).toBeLessThan(REQUEST_TIMEOUT_MS);
    expectProbes(records, outage.unready);
    expect(LOAD_KINDS.filter((kind) => load.succeededSince(kind, over) === 0)).toEqual([]);
    expect(result.notProcessed).toEqual([]);
    expect(result.lost).toBe(0);
    expect(result.wrongPredictions).toBe(0);
    expect(result.statsProcessed).toBe(result.processedOfOwner);
    expect(result.webhooksMissing).toEqual([]);
    expect(new Set(result.webhookIdsPerEvent)).toEqual(new Set([1]));
    expect(batchStatus).toBe('completed');
  }

  function expectProbes(records: ProbeRecord[], unready: string[]): void {
    for (const record of records) {
      // Liveness answers 200 throughout (a killed worker is not probed after its death).
      expect({ name: record.name, live: record.live.filter((s) => s !== 200 && s !== 0) }).toEqual({
        name: record.name,
        live: [],
      });
      if (unready.includes(record.name)) {
        expect({ name: record.name, unready: record.ready.includes(503) }).toEqual({
          name: record.name,
          unready: true,
        });
      }
    }
  }

  /** Jobs a worker holds right now (BullMQ's active lists of the queues workers run). */
  async function activeJobs(queues: Queue[]): Promise<number> {
    const counts = await Promise.all(queues.map((queue) => queue.getActiveCount()));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  it('1. Redis SIGKILLed for ~10 s, then started again empty', async () => {
    const unready = ['web1', 'web2', 'worker', 'scheduler'];
    await scenario('redis', {
      unready,
      run: async (context) => {
        const since = Date.now();
        await redis.kill();
        await holdOutage(context, unready, since);
        await redis.start();
      },
    });
    // The scheduler registers its job schedulers again in the new, empty Redis.
    const sweeps = new Queue('sweep-uploads', { connection: { url: redis.url }, prefix: 'vireo' });
    try {
      const schedulers = await eventually(async () => {
        const found = await sweeps.getJobSchedulers();
        return found.length > 0 ? found : undefined;
      }, 30_000);
      expect(schedulers.map((s) => s.key)).toContain('sweep-uploads');
    } finally {
      await sweeps.close();
    }
  }, 600_000);

  it('2. PostgreSQL stopped (pg_ctl stop -m immediate) for ~10 s', async () => {
    const unready = ['web1', 'web2', 'worker', 'scheduler'];
    await scenario('postgres', {
      unready,
      run: async (context) => {
        const since = Date.now();
        await postgres.stopImmediately();
        await holdOutage(context, unready, since);
        await postgres.start();
      },
    });
  }, 600_000);

  it('3. S3 server stopped for ~10 s', async () => {
    const unready = ['web1', 'web2', 'worker'];
    await scenario('s3', {
      unready,
      run: async (context) => {
        const since = Date.now();
        await s3.stop();
        await holdOutage(context, unready, since);
        await s3.start();
      },
    });
  }, 600_000);

  it('4. worker SIGKILLed mid-job every few seconds for a minute, a new one started each time', async () => {
    const queues = ['process-image', 'batch'].map(
      (name) => new Queue(name, { connection: { url: redis.url }, prefix: 'vireo' }),
    );
    let kills = 0;
    try {
      await scenario('worker', {
        unready: [],
        run: async () => {
          const until = Date.now() + WORKER_KILLS_FOR_MS;
          while (kills < WORKER_KILLS || Date.now() < until) {
            // Killed while it holds a job, after it finished one: each worker gets somewhere.
            const processed = await countOf(
              `SELECT count(*) AS n FROM images WHERE status = 'processed'`,
            );
            await eventually(
              async () =>
                ((await activeJobs(queues)) > 0 &&
                  (await countOf(`SELECT count(*) AS n FROM images WHERE status = 'processed'`)) >
                    processed) ||
                undefined,
              CONDITION_TIMEOUT_MS,
              50,
            ).catch(() => undefined);
            await fleet.replaceWorker();
            kills += 1;
          }
        },
      });
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
    }
    expect(kills).toBeGreaterThanOrEqual(WORKER_KILLS);
  }, 600_000);

  it('5. one of two web replicas SIGKILLed behind nginx while clients upload', async () => {
    await scenario('web', {
      unready: [],
      run: async (context) => {
        const since = Date.now();
        await fleet.kill('web2');
        fleet.members.delete('web2');
        await holdOutage(context, [], since);
      },
    });
  }, 600_000);

  it('leaves no row without its object and no object without its row (after the sweeper)', async () => {
    const compare = () => compareRowsAndObjects(db, { ...s3, bucket: 'vireo' });
    // Stray staging objects wait for the next sweep (every minute); an original whose upload
    // died with its process (scenario 5) waits until no upload can still be writing its row.
    const mismatch = await eventually(
      async () => {
        const found = await compare();
        return found.objectsWithoutRow.length === 0 && found.rowsWithoutObject.length === 0
          ? found
          : undefined;
      },
      200_000,
      2_000,
    ).catch(compare);
    console.log(
      `Rows and objects: ${mismatch.rows} image rows, ${mismatch.objects} objects; ` +
        `rows without object: ${mismatch.rowsWithoutObject.length}, objects without row: ${mismatch.objectsWithoutRow.length}`,
    );
    expect(mismatch.rowsWithoutObject).toEqual([]);
    expect(mismatch.objectsWithoutRow).toEqual([]);
  }, 240_000);
});

/** The closing note's table: one row per scenario, from what the scenario measured. */
function formatTable(rows: Row[]): string {
  const header = [
    'scenario',
    'sent',
    '2xx',
    '503',
    'other',
    'lost',
    'duplicated',
    's until ready',
    's until drained',
    'batch run',
  ];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.tally.sent),
    String(row.tally.ok),
    String(row.tally.unavailable),
    String(row.tally.other),
    String(row.lost),
    String(row.duplicated),
    row.readyS.toFixed(1),
    row.drainedS.toFixed(1),
    row.batch,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join(
    '\n',
  );
}

/** Rewritten after each scenario, so an interrupted run still leaves the rows it measured. */
async function writeReport(rows: Row[], elapsedS: number): Promise<void> {
  await mkdir(dirname(REPORT_FILE), { recursive: true });
  await writeFile(
    REPORT_FILE,
    `# Outages under load (test/faults), ${new Date().toISOString()}\n\n` +
      `${formatTable(rows)}\n\n${elapsedS.toFixed(0)} s since the suite started.\n`,
  );
}
