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

async function bodyOf(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return `${url} ${res.status} ${await res.text()}`;
  } catch (error) {
    return `${url} ${(error as Error).message}`;
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

  /** Whether every process named has answered readiness with 503 at least once. */
  sawUnready(names: string[]): boolean {
    return names.every((name) => this.records.find((r) => r.name === name)?.ready.includes(503));
  }

  async stop(): Promise<ProbeRecord[]> {
    this.running = false;
    await this.loop;
    return this.records;
  }
}

/** Seconds from `since` (ms since the epoch) until every process answers readiness 200. */
export async function secondsUntilReady(
  urls: string[],
  since: number,
  timeoutMs = 90_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const statuses = await Promise.all(urls.map((url) => statusOf(`${url}/health/ready`)));
    if (statuses.every((status) => status === 200)) return (Date.now() - since) / 1000;
    if (Date.now() - started > timeoutMs) {
      // Readiness names the checks that failed.
      const answers = await Promise.all(urls.map((url) => bodyOf(`${url}/health/ready`)));
      throw new Error(`Not ready within ${timeoutMs} ms:\n${answers.join('\n')}`);
    }
    await sleep(250);
  }
}
