-- Training (issue 10): models that train themselves from labelled images.
-- `kind` is null for uploaded heads and the bundled backbone, `classifier` for a trainable one;
-- `training_labels` are the labels it trains on (empty: every label found).
ALTER TABLE "models" ADD COLUMN "kind" TEXT;
ALTER TABLE "models" ADD COLUMN "training_labels" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
