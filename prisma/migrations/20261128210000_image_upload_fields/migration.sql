-- Upload fields: the client's metadata (a JSON object of at most 4 KiB) and the sha256 a
-- presigned upload announced, checked against the bytes on completion.
ALTER TABLE "images" ADD COLUMN "metadata" JSONB;
ALTER TABLE "images" ADD COLUMN "declared_sha256" TEXT;
