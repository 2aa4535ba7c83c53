-- Which conversations a file was sent in: a file is visible to its uploader and to the
-- current members of these conversations (file(id), sendFile, Message.file), nobody else.
CREATE TABLE "file_shares" (
    "file_id" BIGINT NOT NULL,
    "conversation_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "file_shares_pkey" PRIMARY KEY ("file_id", "conversation_id")
);
CREATE INDEX "file_shares_conversation_id_idx" ON "file_shares"("conversation_id");
ALTER TABLE "file_shares" ADD CONSTRAINT "file_shares_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "files"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "file_shares" ADD CONSTRAINT "file_shares_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Files already sent: the sender's own upload with the content named in a file message.
INSERT INTO "file_shares" ("file_id", "conversation_id")
SELECT DISTINCT f."id", m."conversation_id"
  FROM "messages" m
  JOIN "files" f ON f."sha256" = substring(m."body" from '/file/v[12]/download/([0-9a-f]{64})')
                AND f."owner_id" = m."sender_id" AND f."status" = 'ready'
 WHERE m."msg_type" IN (2, 3, 5, 30, 32)
ON CONFLICT DO NOTHING;
