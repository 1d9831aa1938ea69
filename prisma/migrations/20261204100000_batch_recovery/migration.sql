-- Batch recovery (issue 10): starts of a run's own step, and of each chunk since it last
-- committed a checkpoint (a step that keeps losing its worker fails its run after
-- BATCH_MAX_STARTS), and when the batch reconciler last looked at an unfinished run (one
-- worker at a time per run).
ALTER TABLE "batch_runs" ADD COLUMN "starts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "batch_runs" ADD COLUMN "checked_at" TIMESTAMPTZ(3);
CREATE INDEX "batch_runs_status_created_at_idx" ON "batch_runs" ("status", "created_at");

ALTER TABLE "batch_run_chunks" ADD COLUMN "starts_since_checkpoint" INTEGER NOT NULL DEFAULT 0;
