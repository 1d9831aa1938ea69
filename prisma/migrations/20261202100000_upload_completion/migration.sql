-- Completing a presigned upload is one transition however many completes race: the first
-- claims it (a token with an expiry, so a crashed completer's claim lapses), the others wait.
ALTER TABLE "images" ADD COLUMN "completion_token" UUID;
ALTER TABLE "images" ADD COLUMN "completion_expires_at" TIMESTAMPTZ(3);

-- An upload that completed as a duplicate of an image its owner had: its row is gone, and
-- later completes of it answer with that image.
CREATE TABLE "duplicate_uploads" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "image_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "duplicate_uploads_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "duplicate_uploads_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "duplicate_uploads_image_id_idx" ON "duplicate_uploads" ("image_id");
CREATE INDEX "duplicate_uploads_created_at_idx" ON "duplicate_uploads" ("created_at");
