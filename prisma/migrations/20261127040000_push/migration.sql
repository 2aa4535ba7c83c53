-- Offline push (PROTOCOL.md §6.7, §9): device tokens, settings, mutes, and a durable job queue.

CREATE TABLE "push_devices" (
    "id" BIGSERIAL PRIMARY KEY,
    "user_id" BIGINT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
    "token" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "os" TEXT NOT NULL,
    "package" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabled_at" TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "push_devices_user_id_token_key" ON "push_devices"("user_id", "token");
CREATE INDEX "push_devices_active_user_idx" ON "push_devices"("user_id") WHERE "disabled_at" IS NULL;

-- COMPAT: Startalk's bit flags: 1 show content, 2 push while desktop online, 4 in-app sound,
-- 8 in-app vibrate, 16 master switch; default 1|4|8|16.
CREATE TABLE "push_settings" (
    "user_id" BIGINT PRIMARY KEY REFERENCES "users"("id") ON DELETE CASCADE,
    "flags" INTEGER NOT NULL DEFAULT 29
);

CREATE TABLE "push_mutes" (
    "user_id" BIGINT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
    "conversation_id" BIGINT NOT NULL REFERENCES "conversations"("id") ON DELETE CASCADE,
    CONSTRAINT "push_mutes_pkey" PRIMARY KEY ("user_id", "conversation_id")
);

-- The dispatcher's position in the message stream (one row; it starts at the stream's end).
CREATE TABLE "push_cursor" (
    "id" INTEGER PRIMARY KEY,
    "seq" BIGINT NOT NULL
);

-- One job per (message, recipient): a message is never pushed twice to one user.
CREATE TABLE "push_jobs" (
    "id" BIGSERIAL PRIMARY KEY,
    "message_seq" BIGINT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "done_at" TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "push_jobs_message_seq_user_id_key" ON "push_jobs"("message_seq", "user_id");
CREATE INDEX "push_jobs_due_idx" ON "push_jobs"("next_at") WHERE "status" IN ('pending', 'sending');
