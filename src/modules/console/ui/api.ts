import { fetchEventSource } from '@microsoft/fetch-event-source';

/** An answer of the API that was not a success, with the API's own code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  email: string;
  scopes: string[];
}

const SESSION_KEY = 'vireo.console.session';

let session: Session | null = readStoredSession();
const sessionListeners = new Set<(session: Session | null) => void>();

function readStoredSession(): Session | null {
  const stored = sessionStorage.getItem(SESSION_KEY);
  return stored ? (JSON.parse(stored) as Session) : null;
}

export function currentSession(): Session | null {
  return session;
}

export function onSessionChange(listener: (session: Session | null) => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function setSession(next: Session | null): void {
  session = next;
  if (next) sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(SESSION_KEY);
  for (const listener of sessionListeners) listener(next);
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** The scopes claim of an access token (read only to shape the UI; the API decides). */
function scopesOf(accessToken: string): string[] {
  const payload = accessToken.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(json) as { scopes?: unknown };
  return Array.isArray(claims.scopes) ? (claims.scopes as string[]) : [];
}

export function hasScope(scope: string): boolean {
  const scopes = session?.scopes ?? [];
  return scopes.includes('admin') || scopes.includes(scope);
}

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string };
  } | null;
  return new ApiError(
    response.status,
    body?.error?.code ?? 'http_error',
    body?.error?.message ?? `${response.status} ${response.statusText}`,
  );
}

export async function signIn(email: string, password: string): Promise<void> {
  const response = await fetch('/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw await errorOf(response);
  const tokens = (await response.json()) as TokenPair;
  const scopes = scopesOf(tokens.accessToken);
  // Admins also get the queue dashboard's cookie (HttpOnly: this script never sees it).
  if (scopes.includes('admin')) {
    const cookie = await fetch('/console/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    if (!cookie.ok) throw await errorOf(cookie);
  }
  setSession({ ...tokens, email, scopes });
}

export async function signOut(): Promise<void> {
  if (session) {
    await request('/console/session', { method: 'DELETE' }).catch(() => undefined);
    await request('/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
  }
  setSession(null);
}

let refreshing: Promise<boolean> | null = null;

/** Trades the refresh token for a new pair once, however many requests found the token expired. */
function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    if (!session) return false;
    const response = await fetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    });
    if (!response.ok) {
      setSession(null);
      return false;
    }
    const tokens = (await response.json()) as TokenPair;
    setSession({ ...session, ...tokens, scopes: scopesOf(tokens.accessToken) });
    return true;
  })().finally(() => (refreshing = null));
  return refreshing;
}

export function authorization(): Record<string, string> {
  return session ? { authorization: `Bearer ${session.accessToken}` } : {};
}

/** A request with the session's token; an expired token is refreshed and the request sent again. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () =>
    fetch(path, { ...init, headers: { ...authorization(), ...(init.headers ?? {}) } });
  let response = await send();
  if (response.status === 401 && (await refreshSession())) response = await send();
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await request(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** A blob: URL of bytes that need the session's token (thumbnails, charts, CSV files). */
export async function objectUrl(path: string): Promise<string> {
  return URL.createObjectURL(await (await request(path)).blob());
}

export interface Progress {
  loaded: number;
  total: number;
}

/**
 * XMLHttpRequest, because fetch reports no upload progress. `authorized` adds the session's
 * token (not for presigned URLs, which carry their own signature).
 */
export function sendWithProgress(
  method: string,
  url: string,
  body: XMLHttpRequestBodyInit,
  headers: Record<string, string>,
  onProgress: (progress: Progress) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.total });
    xhr.onerror = () =>
      reject(new ApiError(0, 'network_error', 'The upload did not reach the server'));
    xhr.onload = () => {
      const body = xhr.responseText ? safeJson(xhr.responseText) : null;
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
      reject(
        new ApiError(xhr.status, error?.code ?? 'http_error', error?.message ?? xhr.statusText),
      );
    };
    xhr.send(body);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Server-sent events of one image. EventSource cannot send an Authorization header, which the
 * API requires, so the stream is read with fetch (`@microsoft/fetch-event-source`).
 */
export function imageEvents(
  imageId: string,
  onEvent: (event: string, data: unknown) => void,
): () => void {
  const abort = new AbortController();
  void fetchEventSource(`/v1/images/${imageId}/events`, {
    headers: { ...authorization(), accept: 'text/event-stream' },
    signal: abort.signal,
    openWhenHidden: true,
    onmessage: (message) => onEvent(message.event, JSON.parse(message.data)),
    // The server ends the stream once the image is processed or failed: do not reconnect.
    onclose: () => abort.abort(),
    onerror: (error) => {
      throw error;
    },
  }).catch(() => undefined);
  return () => abort.abort();
}
