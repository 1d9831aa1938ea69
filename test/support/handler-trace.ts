import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FastifyRequest } from 'fastify';

/** What Fastify publishes about a route handler (its `fastify.request.handler` tracing channel). */
interface HandlerEvent {
  request: FastifyRequest;
  /** Set once the handler returned a promise: its end is then `asyncEnd`. */
  async?: boolean;
}

const CHANNEL = 'tracing:fastify.request.handler';

export interface HandlerTrace {
  /** The route's handler started (the request passed its hooks and guards). */
  started: Promise<void>;
  /** The handler returned or its promise settled: it is done with the request. */
  settled: Promise<void>;
}

/**
 * The next request to `method url` that an app in this process handles, as events: a test
 * awaits the server's side of a request instead of sleeping while it runs.
 */
export function handlerOf(method: string, url: string): HandlerTrace {
  let request: FastifyRequest | undefined;
  let start!: () => void;
  let settle!: () => void;
  const started = new Promise<void>((resolve) => (start = resolve));
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const onStart = (message: unknown) => {
    const event = message as HandlerEvent;
    if (request || event.request.method !== method || event.request.url !== url) return;
    request = event.request;
    start();
  };
  const onEnd = (message: unknown) => {
    const event = message as HandlerEvent;
    if (event.request === request && !event.async) done();
  };
  const onAsyncEnd = (message: unknown) => {
    if ((message as HandlerEvent).request === request) done();
  };
  const done = () => {
    unsubscribe(`${CHANNEL}:start`, onStart);
    unsubscribe(`${CHANNEL}:end`, onEnd);
    unsubscribe(`${CHANNEL}:asyncEnd`, onAsyncEnd);
    settle();
  };
  subscribe(`${CHANNEL}:start`, onStart);
  subscribe(`${CHANNEL}:end`, onEnd);
  subscribe(`${CHANNEL}:asyncEnd`, onAsyncEnd);
  return { started, settled };
}
