import autocannon from 'autocannon';

export interface LoadResult {
  name: string;
  /** Requests answered with a 2xx. */
  succeeded: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  /** A `setupRequest` module (worker threads load it by path), e.g. for binary bodies. */
  setupRequest?: string;
  /** Requests per second over all connections (a fixed rate); default: as fast as answered. */
  overallRate?: number;
}

/**
 * One autocannon run: sustained load on one route, latency percentiles in ms. The client runs
 * in a worker thread, so it does not share the event loop of an app booted in this process.
 */
export async function runLoad(name: string, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    workers: 1,
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    ...(options.overallRate && { overallRate: options.overallRate }),
    ...(options.setupRequest && { requests: [{ setupRequest: options.setupRequest as never }] }),
  });
  return {
    name,
    succeeded: result['2xx'],
    requestsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Prints results as a table, each with its ratio to the first (the baseline). */
export function printComparison(title: string, results: LoadResult[]): void {
  const [baseline] = results;
  console.log(`\n${title}`);
  console.table(
    results.map((r) => ({
      run: r.name,
      'req/s': Math.round(r.requestsPerSec),
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'errors+non2xx': r.errors + r.non2xx,
      'vs baseline': `${(r.requestsPerSec / baseline.requestsPerSec).toFixed(2)}x`,
    })),
  );
}
