-- A push token belongs to one user at a time (registering it elsewhere moves it), and to the
-- session that registered it: logging that session out unregisters it.
ALTER TABLE "push_devices" ADD COLUMN "session_id" BIGINT REFERENCES "auth_sessions"("id") ON DELETE SET NULL;
CREATE INDEX "push_devices_token_idx" ON "push_devices"("token");

-- Tokens registered by several users so far: the most recent registration keeps it.
UPDATE "push_devices" d SET "disabled_at" = CURRENT_TIMESTAMP
 WHERE d."disabled_at" IS NULL
   AND EXISTS (SELECT 1 FROM "push_devices" n
                WHERE n."token" = d."token" AND n."user_id" <> d."user_id" AND n."disabled_at" IS NULL
                  AND (n."updated_at", n."id") > (d."updated_at", d."id"));
