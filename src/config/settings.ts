import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/**
 * Every environment variable Vireo reads, with its default and meaning.
 * The README's configuration table is checked against this list by a test.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const optionalUrl = z.url().optional();
/** A number of days, or nothing (empty) for "keep forever". */
const optionalDays = z.coerce.number().int().positive().optional();
/** `Label:threshold` pairs, comma-separated; empty for none. */
const moderationThresholds = z
  .string()
  .regex(
    /^\s*$|^\s*[A-Za-z]+\s*:\s*(0(\.\d+)?|1(\.0+)?)\s*(,\s*[A-Za-z]+\s*:\s*(0(\.\d+)?|1(\.0+)?)\s*)*$/,
    'expected Label:threshold pairs (0..1), comma-separated',
  );
/** A cron expression (read in UTC), or `off`. */
const cronOrOff = z.string().refine(
  (value) => {
    if (value.trim() === 'off') return true;
    try {
      CronExpressionParser.parse(value, { tz: 'UTC' });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a cron expression (e.g. `15 0 * * *`) or `off`' },
);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const ROLES = ['web', 'worker', 'scheduler', 'all'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const TF_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export const INFERENCE_RUNTIMES = ['auto', 'onnx', 'tfjs'] as const;

export interface SettingDefinition {
  schema: z.ZodType;
  default?: string;
  description: string;
}

export const SETTINGS = {
  PORT: {
    schema: port,
    default: '3000',
    description: 'HTTP port (every role serves at least health and metrics).',
  },
  HOST: {
    schema: z.string().min(1),
    default: '0.0.0.0',
    description: 'Interface the HTTP server binds to.',
  },
  ROLE: {
    schema: z.enum(ROLES),
    default: 'all',
    description: 'Which part of the platform this process runs: web, worker, scheduler or all.',
  },
  DATA_DIR: {
    schema: z.string().min(1),
    default: './data',
    description: 'Where embedded defaults keep data: PGlite in `db/`, objects in `objects/`.',
  },
  DATABASE_URL: {
    schema: optionalUrl,
    description: 'PostgreSQL URL. Unset: embedded PGlite in `DATA_DIR/db`.',
  },
  DATABASE_POOL_SIZE: {
    schema: positiveInt,
    default: '10',
    description: 'PostgreSQL connections per process.',
  },
  REDIS_URL: {
    schema: optionalUrl,
    description:
      'Redis URL for BullMQ, rate-limit counters and pub/sub. Unset: in-process queue (role `all` only).',
  },
  REDIS_PREFIX: {
    schema: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9:_-]+$/),
    default: 'vireo',
    description: 'Key prefix in Redis, so several deployments or test runs share one server.',
  },
  S3_ENDPOINT: {
    schema: optionalUrl,
    description:
      'S3/MinIO endpoint URL, e.g. `http://minio:9000`. Unset: objects on local disk in `DATA_DIR/objects`.',
  },
  S3_ACCESS_KEY: {
    schema: z.string().optional(),
    description: 'S3 access key (required with `S3_ENDPOINT`).',
  },
  S3_SECRET_KEY: {
    schema: z.string().optional(),
    description: 'S3 secret key (required with `S3_ENDPOINT`).',
  },
  S3_BUCKET: {
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
    default: 'vireo',
    description:
      'Bucket for originals, derivatives and model artifacts; created on boot if missing.',
  },
  S3_REGION: { schema: z.string().min(1), default: 'us-east-1', description: 'S3 region.' },
  S3_SSE: {
    schema: bool,
    default: 'false',
    description: 'Ask S3 for server-side encryption (AES256) of every object written.',
  },
  S3_PUBLIC_ENDPOINT: {
    schema: optionalUrl,
    description: 'Endpoint clients use for presigned URLs when it differs from `S3_ENDPOINT`.',
  },
  PUBLIC_URL: {
    schema: optionalUrl,
    description:
      'Base URL clients reach the API at (for links and signed app URLs). Default: http://localhost:PORT.',
  },
  SIGNING_SECRET: {
    schema: z.string().min(16).optional(),
    description:
      'Secret for signed app URLs and JWTs. Unset: generated once and kept in `DATA_DIR/secret` (set it when running more than one replica).',
  },
  ADMIN_API_KEY: {
    schema: z
      .string()
      .regex(/^vir_[A-Za-z0-9]+_[A-Za-z0-9]+$/)
      .optional(),
    description:
      'API key of the first admin (`vir_<prefix>_<secret>`). Unset: one is generated on first boot and printed once.',
  },
  MAX_UPLOAD_BYTES: {
    schema: positiveInt,
    default: String(20 * 1024 * 1024),
    description: 'Largest image accepted, in bytes (413 above it).',
  },
  MAX_TENSOR_BYTES: {
    schema: positiveInt,
    default: String(64 * 1024 * 1024),
    description:
      'Largest body of a `/v2` inference request (JSON or binary tensor data), in bytes (413 above it).',
  },
  MAX_JSON_BYTES: {
    schema: positiveInt,
    default: String(1024 * 1024),
    description: 'Largest JSON request body, in bytes (413 above it).',
  },
  REQUEST_TIMEOUT_MS: {
    schema: positiveInt,
    default: '30000',
    description:
      'Longest time a whole request, body included, may take to arrive (408 past it; slow clients hold no socket longer).',
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS),
    default: 'info',
    description: 'Log level of the JSON logs.',
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: positiveInt,
    default: '10000',
    description:
      'On SIGTERM/SIGINT, how long in-flight requests and jobs may take before the process exits anyway.',
  },
  HEALTH_CHECK_TIMEOUT_MS: {
    schema: positiveInt,
    default: '2000',
    description: 'Timeout of each readiness check.',
  },
  METRICS_PUBLIC: {
    schema: bool,
    default: 'true',
    description: 'Serve `/metrics` without credentials.',
  },
  QUEUE_CONCURRENCY: {
    schema: positiveInt,
    default: '4',
    description: 'Jobs a worker runs at once per queue.',
  },
  QUEUE_ATTEMPTS: {
    schema: positiveInt,
    default: '5',
    description: 'Attempts per job before it lands in the failed set.',
  },
  QUEUE_BACKOFF_MS: {
    schema: nonNegativeInt,
    default: '1000',
    description: 'First retry delay; doubles on each attempt.',
  },
  RATE_LIMIT_UPLOADS_PER_MIN: {
    schema: positiveInt,
    default: '120',
    description: 'Uploads per minute per API key, user or client IP.',
  },
  RATE_LIMIT_PREDICT_PER_MIN: {
    schema: positiveInt,
    default: '600',
    description: 'Predictions per minute per API key, user or client IP.',
  },
  RATE_LIMIT_READS_PER_MIN: {
    schema: positiveInt,
    default: '1200',
    description: 'Read requests per minute per API key, user or client IP.',
  },
  RATE_LIMIT_KEYS_PER_MIN: {
    schema: positiveInt,
    default: '60',
    description: 'API key creations and revocations per minute per API key, user or client IP.',
  },
  CORS_ORIGINS: {
    schema: z.string(),
    default: '',
    description: 'Comma-separated origins allowed by CORS (`*` for any). Empty: CORS off.',
  },
  TRUST_PROXY: {
    schema: z.string(),
    default: 'loopback',
    description:
      'Addresses/CIDRs of proxies whose `X-Forwarded-For` is trusted (e.g. nginx), comma-separated; `false` for none.',
  },
  JWT_ACCESS_TTL_S: {
    schema: positiveInt,
    default: '900',
    description: 'Lifetime of a JWT access token, in seconds.',
  },
  JWT_REFRESH_TTL_S: {
    schema: positiveInt,
    default: String(30 * 24 * 3600),
    description: 'Lifetime of a refresh token, in seconds.',
  },
  UPLOAD_URL_TTL_S: {
    schema: positiveInt,
    default: '900',
    description: 'Lifetime of presigned upload links, in seconds.',
  },
  DOWNLOAD_URL_TTL_S: {
    schema: positiveInt,
    default: '300',
    description: 'Lifetime of signed image download links, in seconds.',
  },
  INFERENCE_RUNTIME: {
    schema: z.enum(INFERENCE_RUNTIMES),
    default: 'auto',
    description:
      'Backbone runtime: `onnx` (converted from the TF.js weights, cached in DATA_DIR), `tfjs`, or `auto` (onnx where it loads).',
  },
  TF_BACKEND: {
    schema: z.enum(TF_BACKENDS),
    default: 'auto',
    description:
      'TF.js backend (tfjs runtime, and heads): `auto` picks tensorflow (tfjs-node), else wasm, else cpu.',
  },
  INFERENCE_THREADS: {
    schema: nonNegativeInt,
    default: '0',
    description:
      'Inference worker threads (backbone and heads). 0: one per spare core (cores - 1, at least 1).',
  },
  BATCH_MAX_SIZE: {
    schema: positiveInt,
    default: '16',
    description: 'Largest micro-batch of images sent to a model at once.',
  },
  BATCH_MAX_DELAY_MS: {
    schema: nonNegativeInt,
    default: '5',
    description: 'Longest wait for a micro-batch to fill.',
  },
  PREDICT_TOP_K: {
    schema: positiveInt,
    default: '5',
    description: 'Labels returned per model by `/v1/predict`.',
  },
  MODEL_PRELOAD: {
    schema: bool,
    default: 'true',
    description: 'Load production models at boot (readiness waits for them).',
  },
  QUEUE_LOCK_MS: {
    schema: positiveInt,
    default: '30000',
    description:
      "How long a worker's hold on a job lasts unrenewed, and how often workers look for jobs of a worker that died (BullMQ).",
  },
  PIPELINE_DECODE_ONCE: {
    schema: bool,
    default: 'true',
    description:
      'Decode each upload once for both its thumbnail and the model input (`false` decodes twice; for benchmarks).',
  },
  MODERATION_QUARANTINE: {
    schema: moderationThresholds,
    default: '',
    description:
      'Labels of the `moderation` model and thresholds, e.g. `Porn:0.8,Hentai:0.8`: a score at or above one quarantines the image. Empty: off.',
  },
  RECONCILE_INTERVAL_S: {
    schema: positiveInt,
    default: '60',
    description:
      'How often each worker re-enqueues images stuck in `uploaded` or `processing` and batch runs whose queue jobs were lost.',
  },
  RECONCILE_STALE_S: {
    schema: positiveInt,
    default: '60',
    description:
      'An image in `uploaded` or `processing` unchanged this long is handed to the queue again; an unfinished batch run is checked at most once per this long.',
  },
  SSE_HEARTBEAT_MS: {
    schema: positiveInt,
    default: '15000',
    description: 'Interval of the heartbeat comment on `/v1/images/:id/events` streams.',
  },
  WEBHOOK_ATTEMPTS: {
    schema: positiveInt,
    default: '8',
    description:
      'Attempts per webhook delivery (retried with exponential backoff from `QUEUE_BACKOFF_MS`).',
  },
  WEBHOOK_TIMEOUT_MS: {
    schema: positiveInt,
    default: '10000',
    description: 'A webhook receiver that has not answered within this is retried later.',
  },
  WEBHOOK_ALLOW_PRIVATE: {
    schema: bool,
    default: 'false',
    description:
      'Allow webhook URLs that resolve to loopback, private, link-local or metadata addresses.',
  },
  MODEL_HEAD_MAX_PARAMS: {
    schema: positiveInt,
    default: '500000',
    description:
      'Largest parameter count of an uploaded model (a head on the embedding, run in the inference threads).',
  },
  TRAIN_EPOCHS: {
    schema: positiveInt,
    default: '40',
    description: 'Epochs of a `train-classifier` run (full passes over the training split).',
  },
  TRAIN_LEARNING_RATE: {
    schema: z.coerce.number().positive().max(1),
    default: '0.001',
    description: "The Adam optimizer's learning rate when training a classifier head.",
  },
  TRAIN_MIN_ACCURACY: {
    schema: z.coerce.number().min(0).max(1),
    default: '0.8',
    description:
      'Validation accuracy a trained version needs to be promoted (the first one, and every later one too).',
  },
  TRAIN_PROMOTE_MARGIN: {
    schema: z.coerce.number().min(-1).max(1),
    default: '0.01',
    description:
      'How much better than production (validation accuracy, same validation split) a trained version must be to be promoted.',
  },
  TRAIN_MIN_EXAMPLES_PER_LABEL: {
    schema: positiveInt,
    default: '10',
    description: 'Labelled images every label needs before a trained version may be promoted.',
  },
  RETENTION_ORIGINALS_DAYS: {
    schema: optionalDays,
    description:
      'Days an original image is kept after its upload; the `retention` job deletes older ones (the image, its derivative and results stay). Empty: forever.',
  },
  RETENTION_DERIVATIVES_DAYS: {
    schema: optionalDays,
    description: 'Days a derivative (thumbnail) is kept after processing. Empty: forever.',
  },
  RETENTION_PREDICTIONS_DAYS: {
    schema: optionalDays,
    description: 'Days a stored prediction is kept. Empty: forever.',
  },
  RETENTION_REPORTS_DAYS: {
    schema: optionalDays,
    description: 'Days a daily report row is kept, counted from its day. Empty: forever.',
  },
  BATCH_CONCURRENCY: {
    schema: positiveInt,
    default: '1',
    description:
      'Batch jobs (runs and their chunks) a worker runs at once, on the `batch` queue (apart from the realtime pipeline).',
  },
  BATCH_CHUNK_SIZE: {
    schema: positiveInt,
    default: '100',
    description: 'Images per chunk job of a batch run over many images (embeddings, backfill).',
  },
  BATCH_MAX_STARTS: {
    schema: positiveInt,
    default: '10',
    description:
      "Starts of a batch run's own step, or of one of its chunks without committing a checkpoint in between (retries, recoveries from a dead worker, the reconciler's), before the run fails.",
  },
  BATCH_CRON_DAILY_REPORT: {
    schema: cronOrOff,
    default: '15 0 * * *',
    description: 'When the scheduler starts `daily-report` (cron, UTC), or `off`.',
  },
  BATCH_CRON_RETENTION: {
    schema: cronOrOff,
    default: '30 0 * * *',
    description: 'When the scheduler starts `retention` (cron, UTC), or `off`.',
  },
  BATCH_CRON_TRAIN: {
    schema: cronOrOff,
    default: 'off',
    description:
      'When the scheduler starts `train-classifier` without a model (cron, UTC), or `off`: it trains every trainable classifier with images labelled since its last training.',
  },
} satisfies Record<string, SettingDefinition>;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']> };
