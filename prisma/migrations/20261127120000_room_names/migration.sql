-- Legacy room names: Startalk rooms are addressed as <room>@conference.<domain>, the room
-- name chosen by the creating client (a uuid) at create_muc. Groups created elsewhere get
-- a generated one, so every group has a stable room JID.
ALTER TABLE "conversations" ADD COLUMN "room_name" TEXT;
UPDATE "conversations" SET "room_name" = replace(gen_random_uuid()::text, '-', '') WHERE "kind" = 'group';
CREATE UNIQUE INDEX "conversations_room_name_key" ON "conversations"("room_name");
