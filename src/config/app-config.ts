import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  INFERENCE_RUNTIMES,
  LOG_LEVELS,
  ROLES,
  SETTINGS,
  SettingName,
  Settings,
  TF_BACKENDS,
} from './settings';

export type Role = (typeof ROLES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type TfBackendSetting = (typeof TF_BACKENDS)[number];
export type InferenceRuntimeSetting = (typeof INFERENCE_RUNTIMES)[number];

export type DatabaseConfig =
  { kind: 'pglite'; dir: string } | { kind: 'postgres'; url: string; poolSize: number };

export type StorageConfig =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      endpoint: string;
      publicEndpoint?: string;
      accessKey: string;
      secretKey: string;
      bucket: string;
      region: string;
      serverSideEncryption: boolean;
    };

export interface RedisConfig {
  url: string;
  prefix: string;
}

/** Thrown for any invalid setting; its message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The typed, validated settings of one process, built once from the environment.
 * It is also the DI token: inject `AppConfig` to read settings.
 */
export class AppConfig {
  readonly role: Role;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly http: {
    port: number;
    host: string;
    publicUrl: string;
    maxUploadBytes: number;
    maxJsonBytes: number;
    requestTimeoutMs: number;
    maxTensorBytes: number;
    corsOrigins: string[];
    trustProxy: string[] | false;
    shutdownTimeoutMs: number;
  };
  readonly database: DatabaseConfig;
  readonly redis?: RedisConfig;
  readonly storage: StorageConfig;
  readonly auth: {
    signingSecret?: string;
    adminApiKey?: string;
    jwtAccessTtlS: number;
    jwtRefreshTtlS: number;
    metricsPublic: boolean;
  };
  readonly rateLimits: {
    uploadsPerMin: number;
    predictPerMin: number;
    readsPerMin: number;
    keysPerMin: number;
  };
  readonly uploads: { uploadUrlTtlS: number; downloadUrlTtlS: number };
  readonly queue: { concurrency: number; attempts: number; backoffMs: number; lockMs: number };
  readonly realtime: {
    decodeOnce: boolean;
    /** Moderation labels and the score at or above which an image is quarantined. */
    quarantine: { label: string; threshold: number }[];
    sseHeartbeatMs: number;
  };
  /** The reconcilers every worker runs: images stuck in the pipeline, batch runs' lost jobs. */
  readonly reconcile: { intervalS: number; staleS: number };
  readonly webhooks: { attempts: number; timeoutMs: number; allowPrivate: boolean };
  /** Days each kind of data is kept; undefined: forever. */
  readonly retention: {
    originalsDays?: number;
    derivativesDays?: number;
    predictionsDays?: number;
    reportsDays?: number;
  };
  readonly batch: {
    concurrency: number;
    chunkSize: number;
    /** Starts of a run's own step or of a chunk before the run fails. */
    maxStarts: number;
    /** Job name -> cron expression (UTC) the scheduler starts it on; jobs set `off` are absent. */
    schedules: Record<string, string>;
  };
  readonly health: { checkTimeoutMs: number };
  readonly model: {
    runtime: InferenceRuntimeSetting;
    backend: TfBackendSetting;
    inferenceThreads: number;
    batchMaxSize: number;
    batchMaxDelayMs: number;
    topK: number;
    preload: boolean;
    headMaxParams: number;
  };
  readonly training: {
    epochs: number;
    learningRate: number;
    minAccuracy: number;
    promoteMargin: number;
    minExamplesPerLabel: number;
  };

  constructor(s: Settings) {
    this.role = s.ROLE;
    this.dataDir = resolve(s.DATA_DIR);
    this.logLevel = s.LOG_LEVEL;
    this.http = {
      port: s.PORT,
      host: s.HOST,
      publicUrl: (s.PUBLIC_URL ?? `http://localhost:${s.PORT}`).replace(/\/+$/, ''),
      maxUploadBytes: s.MAX_UPLOAD_BYTES,
      maxJsonBytes: s.MAX_JSON_BYTES,
      requestTimeoutMs: s.REQUEST_TIMEOUT_MS,
      maxTensorBytes: s.MAX_TENSOR_BYTES,
      corsOrigins: splitList(s.CORS_ORIGINS),
      trustProxy: s.TRUST_PROXY === 'false' ? false : splitList(s.TRUST_PROXY),
      shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    };
    this.database = s.DATABASE_URL
      ? { kind: 'postgres', url: s.DATABASE_URL, poolSize: s.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dir: resolve(this.dataDir, 'db') };
    this.redis = s.REDIS_URL ? { url: s.REDIS_URL, prefix: s.REDIS_PREFIX } : undefined;
    this.storage = s.S3_ENDPOINT
      ? {
          kind: 's3',
          endpoint: s.S3_ENDPOINT,
          publicEndpoint: s.S3_PUBLIC_ENDPOINT,
          accessKey: s.S3_ACCESS_KEY ?? '',
          secretKey: s.S3_SECRET_KEY ?? '',
          bucket: s.S3_BUCKET,
          region: s.S3_REGION,
          serverSideEncryption: s.S3_SSE,
        }
      : { kind: 'local', root: resolve(this.dataDir, 'objects') };
    this.auth = {
      signingSecret: s.SIGNING_SECRET,
      adminApiKey: s.ADMIN_API_KEY,
      jwtAccessTtlS: s.JWT_ACCESS_TTL_S,
      jwtRefreshTtlS: s.JWT_REFRESH_TTL_S,
      metricsPublic: s.METRICS_PUBLIC,
    };
    this.rateLimits = {
      uploadsPerMin: s.RATE_LIMIT_UPLOADS_PER_MIN,
      predictPerMin: s.RATE_LIMIT_PREDICT_PER_MIN,
      readsPerMin: s.RATE_LIMIT_READS_PER_MIN,
      keysPerMin: s.RATE_LIMIT_KEYS_PER_MIN,
    };
    this.uploads = { uploadUrlTtlS: s.UPLOAD_URL_TTL_S, downloadUrlTtlS: s.DOWNLOAD_URL_TTL_S };
    this.queue = {
      concurrency: s.QUEUE_CONCURRENCY,
      attempts: s.QUEUE_ATTEMPTS,
      backoffMs: s.QUEUE_BACKOFF_MS,
      lockMs: s.QUEUE_LOCK_MS,
    };
    this.realtime = {
      decodeOnce: s.PIPELINE_DECODE_ONCE,
      quarantine: parseThresholds(s.MODERATION_QUARANTINE),
      sseHeartbeatMs: s.SSE_HEARTBEAT_MS,
    };
    this.reconcile = { intervalS: s.RECONCILE_INTERVAL_S, staleS: s.RECONCILE_STALE_S };
    this.webhooks = {
      attempts: s.WEBHOOK_ATTEMPTS,
      timeoutMs: s.WEBHOOK_TIMEOUT_MS,
      allowPrivate: s.WEBHOOK_ALLOW_PRIVATE,
    };
    this.retention = {
      originalsDays: s.RETENTION_ORIGINALS_DAYS,
      derivativesDays: s.RETENTION_DERIVATIVES_DAYS,
      predictionsDays: s.RETENTION_PREDICTIONS_DAYS,
      reportsDays: s.RETENTION_REPORTS_DAYS,
    };
    this.batch = {
      concurrency: s.BATCH_CONCURRENCY,
      chunkSize: s.BATCH_CHUNK_SIZE,
      maxStarts: s.BATCH_MAX_STARTS,
      schedules: cronSchedules({
        'daily-report': s.BATCH_CRON_DAILY_REPORT,
        retention: s.BATCH_CRON_RETENTION,
        'train-classifier': s.BATCH_CRON_TRAIN,
      }),
    };
    this.health = { checkTimeoutMs: s.HEALTH_CHECK_TIMEOUT_MS };
    this.model = {
      runtime: s.INFERENCE_RUNTIME,
      backend: s.TF_BACKEND,
      // A core is left to HTTP and decoding: on 2 cores one ONNX thread served more than two
      // (bench/inference.ts, section 3), and kept /health/live faster.
      inferenceThreads: s.INFERENCE_THREADS || Math.max(1, cpus().length - 1),
      batchMaxSize: s.BATCH_MAX_SIZE,
      batchMaxDelayMs: s.BATCH_MAX_DELAY_MS,
      topK: s.PREDICT_TOP_K,
      preload: s.MODEL_PRELOAD,
      headMaxParams: s.MODEL_HEAD_MAX_PARAMS,
    };
    this.training = {
      epochs: s.TRAIN_EPOCHS,
      learningRate: s.TRAIN_LEARNING_RATE,
      minAccuracy: s.TRAIN_MIN_ACCURACY,
      promoteMargin: s.TRAIN_PROMOTE_MARGIN,
      minExamplesPerLabel: s.TRAIN_MIN_EXAMPLES_PER_LABEL,
    };
  }

  /** Roles that split the platform across processes talk only through Redis. */
  get needsRedis(): boolean {
    return this.role !== 'all';
  }

  runs(part: 'web' | 'worker' | 'scheduler'): boolean {
    return this.role === 'all' || this.role === part;
  }

  /** Validates `env` (plus overrides, e.g. from the command line) and builds the config. */
  static fromEnv(env: NodeJS.ProcessEnv, overrides: Partial<Record<SettingName, string>> = {}) {
    const values: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(SETTINGS) as [
      SettingName,
      (typeof SETTINGS)[SettingName],
    ][]) {
      const raw =
        overrides[name] ??
        emptyToUndefined(env[name]) ??
        ('default' in def ? def.default : undefined);
      const parsed = (def.schema as z.ZodType).safeParse(raw);
      if (!parsed.success) {
        const shown = raw === undefined ? 'nothing' : JSON.stringify(raw);
        throw new ConfigError(
          `Invalid ${name}=${shown}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        );
      }
      values[name] = parsed.data;
    }
    const config = new AppConfig(values as Settings);
    config.assertConsistent();
    return config;
  }

  private assertConsistent(): void {
    if (this.storage.kind === 's3' && (!this.storage.accessKey || !this.storage.secretKey)) {
      throw new ConfigError(
        'Invalid S3_ACCESS_KEY/S3_SECRET_KEY: both are required when S3_ENDPOINT is set',
      );
    }
    if (this.needsRedis && !this.redis) {
      throw new ConfigError(
        `Invalid REDIS_URL=nothing: role "${this.role}" needs Redis; set REDIS_URL or use ROLE=all`,
      );
    }
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** `Porn:0.8, Sexy:0.95` -> [{ label: 'Porn', threshold: 0.8 }, ...] (format checked by the schema). */
function parseThresholds(value: string): { label: string; threshold: number }[] {
  return splitList(value).map((pair) => {
    const [label, threshold] = pair.split(':').map((part) => part.trim());
    return { label, threshold: Number(threshold) };
  });
}

function cronSchedules(crons: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(crons)
      .map(([job, cron]) => [job, cron.trim()])
      .filter(([, cron]) => cron !== 'off'),
  );
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
