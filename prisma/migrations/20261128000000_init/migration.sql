-- The whole schema of prisma/schema.prisma, as of the first release.
-- schema_migrations itself is created by the migration runner before any migration runs.

CREATE TYPE "image_status" AS ENUM ('pending', 'uploaded', 'processing', 'processed', 'failed');
CREATE TYPE "model_version_status" AS ENUM ('staged', 'production', 'archived');
CREATE TYPE "training_run_status" AS ENUM ('queued', 'running', 'succeeded', 'failed');

CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT,
    "display_name" TEXT,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");

CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "rate_limits" JSONB,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_keys_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys" ("prefix");
CREATE INDEX "api_keys_owner_id_created_at_idx" ON "api_keys" ("owner_id", "created_at");

CREATE TABLE "sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "refresh_hash" TEXT NOT NULL,
    "user_agent" TEXT,
    "ip" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "sessions_user_id_idx" ON "sessions" ("user_id");

CREATE TABLE "images" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "status" "image_status" NOT NULL DEFAULT 'pending',
    "storage_key" TEXT NOT NULL,
    "derivative_key" TEXT,
    "content_type" TEXT,
    "size_bytes" BIGINT,
    "sha256" TEXT,
    "width" INTEGER,
    "height" INTEGER,
    "original_name" TEXT,
    "label" TEXT,
    "labeled_at" TIMESTAMPTZ(3),
    "failure_code" TEXT,
    "failure_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uploaded_at" TIMESTAMPTZ(3),
    "processed_at" TIMESTAMPTZ(3),
    "original_deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "images_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "images_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "images_storage_key_key" ON "images" ("storage_key");
-- Pending rows have no sha256 yet; NULLs are distinct, so only known digests must be unique.
CREATE UNIQUE INDEX "images_owner_id_sha256_key" ON "images" ("owner_id", "sha256");
CREATE INDEX "images_owner_id_created_at_id_idx" ON "images" ("owner_id", "created_at" DESC, "id" DESC);
CREATE INDEX "images_owner_id_status_created_at_idx" ON "images" ("owner_id", "status", "created_at" DESC);
CREATE INDEX "images_owner_id_label_idx" ON "images" ("owner_id", "label");
CREATE INDEX "images_status_updated_at_idx" ON "images" ("status", "updated_at");

CREATE TABLE "models" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "description" TEXT,
    "latest_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "models_name_key" ON "models" ("name");

CREATE TABLE "model_versions" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "status" "model_version_status" NOT NULL DEFAULT 'staged',
    "artifact_key" TEXT NOT NULL,
    "labels" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "metrics" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "promoted_at" TIMESTAMPTZ(3),
    "archived_at" TIMESTAMPTZ(3),
    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "model_versions_model_id_version_key" ON "model_versions" ("model_id", "version");
CREATE INDEX "model_versions_model_id_status_idx" ON "model_versions" ("model_id", "status");
-- Not expressible in schema.prisma: one production version per model.
CREATE UNIQUE INDEX "model_versions_one_production_per_model" ON "model_versions" ("model_id") WHERE "status" = 'production';

CREATE TABLE "predictions" (
    "id" UUID NOT NULL,
    "image_id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "scores" JSONB NOT NULL,
    "top_label" TEXT NOT NULL,
    "top_score" DOUBLE PRECISION NOT NULL,
    "latency_ms" DOUBLE PRECISION NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "predictions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "predictions_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "predictions_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "predictions_image_id_model_version_id_key" ON "predictions" ("image_id", "model_version_id");
CREATE INDEX "predictions_model_version_id_idx" ON "predictions" ("model_version_id");
CREATE INDEX "predictions_top_label_image_id_idx" ON "predictions" ("top_label", "image_id");

CREATE TABLE "embeddings" (
    "image_id" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "dim" INTEGER NOT NULL,
    "vector" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "embeddings_pkey" PRIMARY KEY ("image_id", "model"),
    CONSTRAINT "embeddings_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "training_runs" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "status" "training_run_status" NOT NULL DEFAULT 'queued',
    "params" JSONB,
    "metrics" JSONB,
    "sample_count" INTEGER,
    "result_version_id" UUID,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "training_runs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "training_runs_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "training_runs_result_version_id_fkey" FOREIGN KEY ("result_version_id") REFERENCES "model_versions" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "training_runs_model_id_created_at_idx" ON "training_runs" ("model_id", "created_at");
CREATE INDEX "training_runs_status_idx" ON "training_runs" ("status");

CREATE TABLE "daily_aggregates" (
    "day" DATE NOT NULL,
    "owner_id" UUID NOT NULL,
    "metric" TEXT NOT NULL,
    "dimension" TEXT NOT NULL DEFAULT '',
    "count" BIGINT NOT NULL DEFAULT 0,
    "sum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "daily_aggregates_pkey" PRIMARY KEY ("day", "owner_id", "metric", "dimension"),
    CONSTRAINT "daily_aggregates_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "daily_aggregates_owner_id_day_idx" ON "daily_aggregates" ("owner_id", "day");

CREATE TABLE "reports" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "summary" JSONB NOT NULL,
    "storage_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "reports_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "reports_kind_period_start_key" ON "reports" ("kind", "period_start");

CREATE TABLE "audit_log" (
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT,
    "owner_id" UUID,
    "action" TEXT NOT NULL,
    "target_type" TEXT,
    "target_id" TEXT,
    "request_id" TEXT,
    "ip" TEXT,
    "details" JSONB,
    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_log_owner_id_at_idx" ON "audit_log" ("owner_id", "at");
CREATE INDEX "audit_log_action_at_idx" ON "audit_log" ("action", "at");
