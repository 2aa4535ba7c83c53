-- Initial schema: domains, users, auth sessions, conversations, messages, events.

CREATE TABLE "domains" (
    "id" SERIAL NOT NULL,
    "host" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "domains_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "domains_host_key" ON "domains"("host");

CREATE TABLE "users" (
    "id" BIGSERIAL NOT NULL,
    "domain_id" INTEGER NOT NULL,
    "username" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "pinyin" TEXT,
    "department" TEXT,
    "avatar_url" TEXT,
    "frozen" BOOLEAN NOT NULL DEFAULT false,
    "is_admin" BOOLEAN NOT NULL DEFAULT false,
    "password_hash" TEXT NOT NULL,
    "password_salt" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_domain_id_username_key" ON "users"("domain_id", "username");
ALTER TABLE "users" ADD CONSTRAINT "users_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "auth_sessions" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "user_agent" TEXT,
    CONSTRAINT "auth_sessions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "auth_sessions_token_hash_key" ON "auth_sessions"("token_hash");
CREATE INDEX "auth_sessions_user_id_idx" ON "auth_sessions"("user_id");
ALTER TABLE "auth_sessions" ADD CONSTRAINT "auth_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "conversations" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "direct_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "conversations_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "conversations_direct_key_key" ON "conversations"("direct_key");

CREATE TABLE "conversation_members" (
    "conversation_id" BIGINT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "conversation_members_pkey" PRIMARY KEY ("conversation_id", "user_id")
);
CREATE INDEX "conversation_members_user_id_idx" ON "conversation_members"("user_id");
ALTER TABLE "conversation_members" ADD CONSTRAINT "conversation_members_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "conversation_members" ADD CONSTRAINT "conversation_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "messages" (
    "seq" BIGINT NOT NULL,
    "conversation_id" BIGINT NOT NULL,
    "sender_id" BIGINT NOT NULL,
    "msg_id" TEXT NOT NULL,
    "msg_type" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    "extend_info" TEXT,
    "backup_info" TEXT,
    "created_at" BIGINT NOT NULL,
    "state" SMALLINT NOT NULL DEFAULT 0,
    CONSTRAINT "messages_pkey" PRIMARY KEY ("seq")
);
CREATE UNIQUE INDEX "messages_sender_id_msg_id_key" ON "messages"("sender_id", "msg_id");
CREATE INDEX "messages_conversation_id_seq_idx" ON "messages"("conversation_id", "seq");
-- Unread counts only look at messages not yet read; keep that set small and indexed.
CREATE INDEX "messages_unread_idx" ON "messages"("conversation_id", "sender_id") WHERE "state" < 3;

CREATE TABLE "events" (
    "seq" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "user_id" BIGINT,
    "conversation_id" BIGINT,
    "payload" JSONB NOT NULL,
    "created_at" BIGINT NOT NULL,
    CONSTRAINT "events_pkey" PRIMARY KEY ("seq")
);
CREATE INDEX "events_user_id_seq_idx" ON "events"("user_id", "seq");
CREATE INDEX "events_conversation_id_seq_idx" ON "events"("conversation_id", "seq");

CREATE TABLE "stream_position" (
    "id" INTEGER NOT NULL,
    "pos" BIGINT NOT NULL,
    CONSTRAINT "stream_position_pkey" PRIMARY KEY ("id")
);
INSERT INTO "stream_position" ("id", "pos") VALUES (1, 0);
