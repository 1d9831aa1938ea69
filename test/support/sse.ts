/** One server-sent event as a client parses it. */
export interface ServerSentEvent {
  event: string;
  data: unknown;
}

export interface EventStream {
  status: number;
  headers: Headers;
  /** Events so far, in order. */
  events: ServerSentEvent[];
  /** Comment lines so far (heartbeats). */
  comments: number;
  /** Resolves with the first event (from the start) that `match` accepts. */
  next(match: (event: ServerSentEvent) => boolean, timeoutMs?: number): Promise<ServerSentEvent>;
  /** Resolves once the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens `url` as an EventSource would and parses what arrives (a real streaming HTTP client). */
export async function openEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: ServerSentEvent[] = [];
  const waiters = new Set<() => void>();
  const stream: EventStream = {
    status: res.status,
    headers: res.headers,
    events,
    comments: 0,
    next: (match, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No matching event within ${timeoutMs} ms: ${JSON.stringify(events)}`));
        }, timeoutMs);
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      }),
    ended: Promise.resolve(),
    close: () => abort.abort(),
  };
  stream.ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          parseBlock(block, stream);
          for (const waiter of [...waiters]) waiter();
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return stream;
}

function parseBlock(block: string, stream: EventStream): void {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) stream.comments += 1;
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length > 0) stream.events.push({ event, data: JSON.parse(data.join('\n')) });
}
