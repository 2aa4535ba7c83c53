-- Groups (Startalk MUC rooms), roles, read pointers, recall audit, group sync.

ALTER TABLE "conversations"
    ADD COLUMN "name" TEXT,
    ADD COLUMN "topic" TEXT,
    ADD COLUMN "description" TEXT,
    ADD COLUMN "picture_url" TEXT,
    ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "created_by" BIGINT,
    ADD COLUMN "destroyed_at" TIMESTAMPTZ(3),
    -- stream position of the last card change (incremental group sync)
    ADD COLUMN "change_seq" BIGINT NOT NULL DEFAULT 0;

ALTER TABLE "conversation_members"
    ADD COLUMN "role" TEXT NOT NULL DEFAULT 'member',
    -- group read pointer (Startalk muc_room_users.date): messages up to this seq are read
    ADD COLUMN "read_seq" BIGINT NOT NULL DEFAULT 0;

-- A user's groups, kept after leaving so incremental sync can report it
-- (Startalk user_register_mucs with registed_flag).
CREATE TABLE "user_groups" (
    "user_id" BIGINT NOT NULL,
    "conversation_id" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "change_seq" BIGINT NOT NULL,
    CONSTRAINT "user_groups_pkey" PRIMARY KEY ("user_id", "conversation_id")
);
CREATE INDEX "user_groups_user_id_change_seq_idx" ON "user_groups"("user_id", "change_seq");
ALTER TABLE "user_groups" ADD CONSTRAINT "user_groups_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "user_groups" ADD CONSTRAINT "user_groups_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Originals of recalled messages (Startalk revoke_msg_history).
ALTER TABLE "messages" ADD COLUMN "recalled_at" BIGINT;
CREATE TABLE "recalled_messages" (
    "seq" BIGINT NOT NULL,
    "conversation_id" BIGINT NOT NULL,
    "sender_id" BIGINT NOT NULL,
    "msg_id" TEXT NOT NULL,
    "msg_type" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    "extend_info" TEXT,
    "backup_info" TEXT,
    "created_at" BIGINT NOT NULL,
    "recalled_at" BIGINT NOT NULL,
    "recalled_by" BIGINT NOT NULL,
    CONSTRAINT "recalled_messages_pkey" PRIMARY KEY ("seq")
);
