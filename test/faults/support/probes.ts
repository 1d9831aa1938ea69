import { sleep } from '../../support/eventually';

export interface ProbeRecord {
  name: string;
  live: number[];
  ready: number[];
}

async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls liveness and readiness of each process until `stop()`; keeps every answer. */
export class HealthProbes {
  readonly records: ProbeRecord[];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(targets: { name: string; url: string }[], intervalMs = 500) {
    this.records = targets.map(({ name }) => ({ name, live: [], ready: [] }));
    this.loop = (async () => {
      while (this.running) {
        await Promise.all(
          targets.map(async ({ url }, i) => {
            const [live, ready] = await Promise.all([
              statusOf(`${url}/health/live`),
              statusOf(`${url}/health/ready`),
            ]);
            this.records[i].live.push(live);
            this.records[i].ready.push(ready);
          }),
        );
        await sleep(intervalMs);
      }
    })();
  }

  async stop(): Promise<ProbeRecord[]> {
    this.running = false;
    await this.loop;
    return this.records;
  }
}

/** Seconds until every process answers readiness 200, polled from now. */
export async function secondsUntilReady(urls: string[], timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const statuses = await Promise.all(urls.map((url) => statusOf(`${url}/health/ready`)));
    if (statuses.every((status) => status === 200)) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`Not ready within ${timeoutMs} ms: ${statuses.join(', ')}`);
    }
    await sleep(250);
  }
}
