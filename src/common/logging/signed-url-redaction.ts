/**
 * Signed URLs are bearer credentials until they expire: their signature must not reach the
 * logs. Covers the app's own (`sig`) and S3's (`X-Amz-Signature`), in URLs, query objects,
 * Location headers and error messages.
 */
const SIGNATURE_PARAMS = new Set(['sig', 'x-amz-signature']);
const SIGNATURE_IN_TEXT = /([?&](?:sig|x-amz-signature)=)[^&#\s"']*/gi;
const REDACTED = '[Redacted]';

export function redactSignatures(text: string): string {
  return text.replace(SIGNATURE_IN_TEXT, `$1${REDACTED}`);
}

interface SerializedRequest {
  url?: unknown;
  query?: unknown;
  [field: string]: unknown;
}

interface SerializedResponse {
  headers?: Record<string, unknown>;
  [field: string]: unknown;
}

interface SerializedError {
  message?: unknown;
  stack?: unknown;
  [field: string]: unknown;
}

/** pino-http serializers, each given what the standard one made of the request, answer or error. */
export const signatureFreeSerializers = {
  req: (req: SerializedRequest): SerializedRequest => ({
    ...req,
    url: redactText(req.url),
    query: redactQuery(req.query),
  }),
  res: (res: SerializedResponse): SerializedResponse =>
    res.headers?.location === undefined
      ? res
      : { ...res, headers: { ...res.headers, location: redactText(res.headers.location) } },
  err: (err: SerializedError): SerializedError => ({
    ...err,
    message: redactText(err.message),
    stack: redactText(err.stack),
  }),
};

function redactText(value: unknown): unknown {
  return typeof value === 'string' ? redactSignatures(value) : value;
}

function redactQuery(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => [
      name,
      SIGNATURE_PARAMS.has(name.toLowerCase()) ? REDACTED : value,
    ]),
  );
}
