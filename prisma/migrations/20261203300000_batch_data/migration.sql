-- Batch data (issue 10): daily reports per owner and over every owner, and the record an
-- account erasure leaves behind.

-- One row per UTC day and scope: `all` (every owner) or the owner's id. Rebuilding a day
-- replaces its rows.
CREATE TABLE "daily_reports" (
    "day" DATE NOT NULL,
    "scope" TEXT NOT NULL,
    "owner_id" UUID,
    "uploads" INTEGER NOT NULL,
    "processed" INTEGER NOT NULL,
    "failed_by_code" JSONB NOT NULL,
    "latency_ms" JSONB NOT NULL,
    "labels" JSONB NOT NULL,
    "quarantined" INTEGER NOT NULL,
    "model_versions" JSONB NOT NULL,
    "stored_bytes" BIGINT NOT NULL,
    "generated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "daily_reports_pkey" PRIMARY KEY ("day", "scope"),
    CONSTRAINT "daily_reports_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "daily_reports_owner_id_day_idx" ON "daily_reports" ("owner_id", "day");

-- An account erasure: `user_id` only while it runs (one unfinished erasure per user), cleared
-- when it completes, so the record that stays holds no personal data.
CREATE TABLE "account_erasures" (
    "id" UUID NOT NULL,
    "user_id" UUID,
    "requested_by" TEXT NOT NULL,
    "images" INTEGER NOT NULL DEFAULT 0,
    "objects" INTEGER NOT NULL DEFAULT 0,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    CONSTRAINT "account_erasures_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "account_erasures_user_id_key" ON "account_erasures" ("user_id");
