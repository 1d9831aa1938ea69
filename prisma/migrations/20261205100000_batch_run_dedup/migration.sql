-- One queued or running batch run per job and subject (a model, a day, an erasure, ...):
-- concurrent identical starts insert with ON CONFLICT DO NOTHING and get the existing run.
-- Not expressible in schema.prisma (a partial index), as model_versions_one_production_per_model.
ALTER TABLE "batch_runs" ADD COLUMN "dedup_key" TEXT;
CREATE UNIQUE INDEX "batch_runs_one_unfinished_per_subject" ON "batch_runs" ("job", "dedup_key")
    WHERE "status" IN ('queued', 'running') AND "dedup_key" IS NOT NULL;
