-- Admin API and integrations: API keys with scopes, webhooks that follow the event stream
-- (messages + events, one seq line) from a per-webhook cursor, and their dead letters.

-- A key is "stk_<id>_<secret>"; only SHA-256(secret) is kept.
CREATE TABLE "api_keys" (
    "id" BIGSERIAL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "scopes" TEXT[] NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_by" BIGINT REFERENCES "users"("id") ON DELETE SET NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3)
);

-- cursor: the last stream position delivered (acknowledged with a 2xx) or dead-lettered.
-- failures: consecutive failed attempts at the event after the cursor.
CREATE TABLE "webhooks" (
    "id" BIGSERIAL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "kinds" TEXT[] NOT NULL,
    "cursor" BIGINT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "next_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3)
);
CREATE INDEX "webhooks_active_idx" ON "webhooks"("next_at") WHERE "deleted_at" IS NULL;

CREATE TABLE "webhook_dead_letters" (
    "id" BIGSERIAL PRIMARY KEY,
    "webhook_id" BIGINT NOT NULL REFERENCES "webhooks"("id") ON DELETE CASCADE,
    "seq" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL,
    "error" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "webhook_dead_letters_webhook_id_id_idx" ON "webhook_dead_letters"("webhook_id", "id");

-- Compliance export reads a conversation by time: (conversation_id, created_at) narrows it.
CREATE INDEX "messages_conversation_id_created_at_idx" ON "messages"("conversation_id", "created_at");
