-- Startalk's org sync and roaming client settings (PROTOCOL.md §6.3, §6.5).

-- org_version: one counter over all users, bumped whenever what the org list shows changes
-- (Startalk host_users.version = global max + 1), so getUpdateUsers is "everything after N".
CREATE SEQUENCE "users_org_version_seq";
ALTER TABLE "users"
    ADD COLUMN "org_version" BIGINT NOT NULL DEFAULT nextval('users_org_version_seq'),
    -- profile mood (Startalk vcard_version.mood)
    ADD COLUMN "mood" TEXT;
CREATE INDEX "users_domain_id_org_version_idx" ON "users"("domain_id", "org_version");

CREATE FUNCTION "users_bump_org_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."org_version" := nextval('users_org_version_seq');
  RETURN NEW;
END $$;
CREATE TRIGGER "users_org_version" BEFORE UPDATE ON "users" FOR EACH ROW
  WHEN ((OLD."display_name", OLD."department", OLD."pinyin", OLD."avatar_url", OLD."frozen", OLD."is_admin", OLD."mood")
        IS DISTINCT FROM (NEW."display_name", NEW."department", NEW."pinyin", NEW."avatar_url", NEW."frozen", NEW."is_admin", NEW."mood"))
  EXECUTE FUNCTION "users_bump_org_version"();

-- Roaming client settings (Startalk client_config_sync): one row per (user, key, subkey),
-- deletions kept as tombstones so incremental sync reports them.
CREATE SEQUENCE "client_configs_version_seq";
CREATE TABLE "client_configs" (
    "user_id" BIGINT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
    "config_key" TEXT NOT NULL,
    "sub_key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "version" BIGINT NOT NULL DEFAULT nextval('client_configs_version_seq'),
    "platform" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "client_configs_pkey" PRIMARY KEY ("user_id", "config_key", "sub_key")
);
CREATE INDEX "client_configs_user_id_version_idx" ON "client_configs"("user_id", "version");
