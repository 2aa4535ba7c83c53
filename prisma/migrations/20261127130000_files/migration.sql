-- Files (Startalk qfproxy kept none of this: a flat folder keyed by the client's md5).
-- One row per upload; rows with the same content share one object keyed by sha256.

CREATE TABLE "files" (
    "id" BIGSERIAL NOT NULL,
    "owner_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "content_type" TEXT NOT NULL,
    -- file | image | avatar | voice | video
    "kind" TEXT NOT NULL,
    "ext" TEXT NOT NULL DEFAULT '',
    -- hex digests; NULL while a presigned upload is pending
    "sha256" TEXT,
    "md5" TEXT,
    -- pending | ready
    "status" TEXT NOT NULL,
    "staging_key" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "files_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "files_sha256_idx" ON "files"("sha256");
CREATE INDEX "files_md5_idx" ON "files"("md5");
CREATE INDEX "files_owner_id_idx" ON "files"("owner_id");
ALTER TABLE "files" ADD CONSTRAINT "files_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
