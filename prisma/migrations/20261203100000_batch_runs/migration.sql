-- Batch runs (issue 10): one row per run of a batch job, and the chunks a run fans out to.
CREATE TYPE "batch_run_status" AS ENUM ('queued', 'running', 'completed', 'failed');

CREATE TABLE "batch_runs" (
    "id" UUID NOT NULL,
    "job" TEXT NOT NULL,
    "status" "batch_run_status" NOT NULL DEFAULT 'queued',
    "options" JSONB NOT NULL,
    "requested_by" TEXT,
    "trigger_key" TEXT,
    "done" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER,
    "counters" JSONB NOT NULL DEFAULT '{}',
    "result" JSONB,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "batch_runs_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "batch_runs_trigger_key_key" ON "batch_runs" ("trigger_key");
CREATE INDEX "batch_runs_created_at_id_idx" ON "batch_runs" ("created_at", "id");
CREATE INDEX "batch_runs_job_created_at_idx" ON "batch_runs" ("job", "created_at");

CREATE TABLE "batch_run_chunks" (
    "run_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "spec" JSONB NOT NULL,
    "cursor" JSONB,
    "completed" BOOLEAN NOT NULL DEFAULT false,
    "done" INTEGER NOT NULL DEFAULT 0,
    "lease" TEXT,
    "worker" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "batch_run_chunks_pkey" PRIMARY KEY ("run_id", "index"),
    CONSTRAINT "batch_run_chunks_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "batch_runs" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
