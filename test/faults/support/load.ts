import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { sleep } from '../../support/eventually';

export type RequestKind = 'upload' | 'presign' | 'complete' | 'predict' | 'events';

/** How one request to Vireo ended, as the client saw it. */
export interface Answer {
  kind: RequestKind;
  /** HTTP status, or 0 when no answer came (connection error, or no answer within the timeout). */
  status: number;
  ms: number;
  code?: string;
  retryAfter?: string;
  /** 503 with Retry-After and the error envelope: the answer an outage may give. */
  unavailable: boolean;
  error?: string;
}

export interface Tally {
  sent: number;
  ok: number;
  unavailable: number;
  other: number;
  /** A few of the "other" answers, to show what went wrong. */
  others: Answer[];
  slowestMs: number;
}

/** Random pixels: every upload is a different image (identical bytes would be duplicates). */
export async function uniqueJpeg(): Promise<Buffer> {
  return sharp(randomBytes(16 * 16 * 3), { raw: { width: 16, height: 16, channels: 3 } })
    .jpeg()
    .toBuffer();
}

/**
 * Steady client traffic through nginx: direct uploads, presigned uploads (link, PUT to S3,
 * complete), `/v1/predict` and SSE streams of accepted images, from a few concurrent clients.
 * Records every answer; `accepted` holds each image whose upload got a 2xx.
 */
export class Load {
  readonly answers: Answer[] = [];
  readonly accepted = new Set<string>();
  /** Presigned PUTs S3 refused or did not answer (not Vireo's answers; the client gives up). */
  s3PutFailures = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
  ) {}

  start(clients = 3): void {
    this.running = true;
    this.loops = Array.from({ length: clients }, (_, i) => this.client(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Answers since `from` (an index into `answers`), summed up. */
  tally(from = 0, to = this.answers.length): Tally {
    const slice = this.answers.slice(from, to);
    const others = slice.filter((a) => !(a.status >= 200 && a.status < 300) && !a.unavailable);
    return {
      sent: slice.length,
      ok: slice.filter((a) => a.status >= 200 && a.status < 300).length,
      unavailable: slice.filter((a) => a.unavailable).length,
      other: others.length,
      others: others.slice(0, 10),
      slowestMs: Math.max(0, ...slice.map((a) => a.ms)),
    };
  }

  private async client(index: number): Promise<void> {
    const steps = [
      () => this.directUpload(),
      () => this.predict(),
      () => this.presignedUpload(),
      () => this.events(),
    ];
    for (let round = index; this.running; round++) {
      await steps[round % steps.length]();
      await sleep(50);
    }
  }

  private async directUpload(): Promise<void> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await uniqueJpeg())]), 'photo.jpg');
    const answer = await this.request('upload', '/v1/images', { method: 'POST', body: form });
    if (answer.ok && answer.body?.id) this.accepted.add(answer.body.id as string);
  }

  private async presignedUpload(): Promise<void> {
    const bytes = await uniqueJpeg();
    const link = await this.request('presign', '/v1/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', size: bytes.length }),
    });
    if (!link.ok || !link.body?.uploadUrl) return;
    const { id, uploadUrl, method, headers } = link.body as {
      id: string;
      uploadUrl: string;
      method: string;
      headers: Record<string, string>;
    };
    try {
      const put = await fetch(uploadUrl, {
        method,
        headers,
        body: new Uint8Array(bytes),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await put.arrayBuffer();
      if (!put.ok) throw new Error(`S3 answered ${put.status}`);
    } catch {
      this.s3PutFailures += 1;
      return;
    }
    const done = await this.request('complete', `/v1/uploads/${id}/complete`, { method: 'POST' });
    if (done.ok) this.accepted.add(id);
  }

  private async predict(): Promise<void> {
    await this.request('predict', '/v1/predict', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await uniqueJpeg()),
    });
  }

  /**
   * Opens the event stream of a recently accepted image and reads it for a moment. A refused
   * stream answers the JSON error envelope, judged like every other answer.
   */
  private async events(): Promise<void> {
    const id = [...this.accepted].at(-1);
    if (!id) return;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), this.timeoutMs);
    const started = performance.now();
    try {
      const res = await fetch(`${this.baseUrl}/v1/images/${id}/events`, {
        headers: { accept: 'text/event-stream', 'x-api-key': this.apiKey },
        signal: abort.signal,
      });
      clearTimeout(timeout);
      const ms = performance.now() - started;
      if (res.status !== 200) {
        this.record(answerOf('events', res, await res.text(), ms).answer);
        return;
      }
      this.record({ kind: 'events', status: 200, ms, unavailable: false });
      const reading = res.arrayBuffer().catch(() => undefined);
      await Promise.race([reading, sleep(2_000)]);
      abort.abort();
    } catch (error) {
      this.record({
        kind: 'events',
        status: 0,
        ms: performance.now() - started,
        unavailable: false,
        error: (error as Error).message,
      });
    } finally {
      clearTimeout(timeout);
    }
  }

  private async request(
    kind: RequestKind,
    path: string,
    init: RequestInit,
  ): Promise<{ ok: boolean; body?: Record<string, unknown> }> {
    const started = performance.now();
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: { 'x-api-key': this.apiKey, ...(init.headers as Record<string, string>) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      const { answer, body } = answerOf(kind, res, text, performance.now() - started);
      this.record(answer);
      return { ok: res.ok, body };
    } catch (error) {
      this.record({
        kind,
        status: 0,
        ms: performance.now() - started,
        unavailable: false,
        error: (error as Error).message,
      });
      return { ok: false };
    }
  }

  private record(answer: Answer): void {
    this.answers.push(answer);
  }
}

/** An answer as the client judges it: 503 counts as an outage answer only with Retry-After and the error envelope. */
function answerOf(
  kind: RequestKind,
  res: Response,
  text: string,
  ms: number,
): { answer: Answer; body?: Record<string, unknown> } {
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const error = body?.error as { code?: string; message?: string; requestId?: string } | undefined;
  const retryAfter = res.headers.get('retry-after') ?? undefined;
  return {
    body,
    answer: {
      kind,
      status: res.status,
      ms,
      code: error?.code,
      retryAfter,
      unavailable:
        res.status === 503 && retryAfter !== undefined && !!error?.code && !!error.requestId,
      error: error?.message ?? (res.ok ? undefined : text.slice(0, 200)),
    },
  };
}
