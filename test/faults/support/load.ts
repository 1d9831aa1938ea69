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
  /** When the request was sent (ms since the epoch), to place it against a fault. */
  at: number;
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

  /** How many requests of `kind` sent at or after `since` (ms since the epoch) answered 2xx. */
  succeededSince(kind: RequestKind, since = 0): number {
    return this.answers.filter(
      (a) => a.kind === kind && a.at >= since && a.status >= 200 && a.status < 300,
    ).length;
  }

  /** How many requests sent at or after `since` got any answer (or none in time). */
  answeredSince(since: number): number {
    return this.answers.filter((a) => a.at >= since).length;
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
   * Opens the event stream of a recently accepted image and reads it until its first `state`
   * event, then a moment longer. A refused stream answers the JSON error envelope, judged like
   * every other answer; a stream that opens but sends no `state` within the timeout is a hang.
   */
  private async events(): Promise<void> {
    const id = [...this.accepted].at(-1);
    if (!id) return;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), this.timeoutMs);
    const at = Date.now();
    const started = performance.now();
    try {
      const res = await fetch(`${this.baseUrl}/v1/images/${id}/events`, {
        headers: { accept: 'text/event-stream', 'x-api-key': this.apiKey },
        signal: abort.signal,
      });
      if (res.status !== 200) {
        const text = await res.text();
        this.record(answerOf('events', res, text, performance.now() - started, at).answer);
        return;
      }
      const stream = res.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      while (!/^event: ?state$/m.test(received)) {
        const { done, value } = await stream.read();
        if (done) throw new Error(`The stream ended without a state event: ${received}`);
        received += decoder.decode(value, { stream: true });
      }
      this.record({
        kind: 'events',
        status: 200,
        ms: performance.now() - started,
        unavailable: false,
        at,
      });
      // Stays connected a moment, as a client watching the image would.
      const rest = (async () => {
        while (!(await stream.read()).done);
      })().catch(() => undefined);
      await Promise.race([rest, sleep(2_000)]);
    } catch (error) {
      this.record({
        kind: 'events',
        status: 0,
        ms: performance.now() - started,
        unavailable: false,
        error: describeFailure(error),
        at,
      });
    } finally {
      clearTimeout(timeout);
      abort.abort();
    }
  }

  private async request(
    kind: RequestKind,
    path: string,
    init: RequestInit,
  ): Promise<{ ok: boolean; body?: Record<string, unknown> }> {
    const at = Date.now();
    const started = performance.now();
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: { 'x-api-key': this.apiKey, ...(init.headers as Record<string, string>) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      const { answer, body } = answerOf(kind, res, text, performance.now() - started, at);
      this.record(answer);
      return { ok: res.ok, body };
    } catch (error) {
      this.record({
        kind,
        status: 0,
        ms: performance.now() - started,
        unavailable: false,
        error: describeFailure(error),
        at,
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
  at: number,
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
      at,
    },
  };
}

/**
 * fetch says only "fetch failed"; undici's reason (a reset, a socket closed before the
 * answer, a refused connection) is in `cause`, sometimes one level further down.
 */
function describeFailure(error: unknown): string {
  const reasons: string[] = [];
  for (let cause = error as Error | undefined; cause; cause = cause.cause as Error | undefined) {
    const code = (cause as { code?: string }).code;
    reasons.push(code ? `${cause.message} (${code})` : cause.message);
  }
  return reasons.join(' <- ');
}
