-- Search on PostgreSQL (the default adapter, src/storage/postgres/search.ts): prefix and
-- trigram matching of people. Groups and messages are searched through the searcher's own
-- memberships (conversation_members), which already bounds the rows read.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Pinyin of the display name (the stored pinyin when there is one) and its initials, written
-- by the search adapter from the core's user change events (or `npm run search:reindex`).
ALTER TABLE "users"
    ADD COLUMN "search_pinyin" TEXT,
    ADD COLUMN "search_initials" TEXT;

-- Prefix matching in byte order (COLLATE "C"): LIKE 'abc%' and ORDER BY read the index in order,
-- so a page of prefix hits costs a few index pages whatever the table size. Frozen users are
-- never found, so they are not indexed.
CREATE INDEX "users_search_username_idx" ON "users" ("domain_id", "username" COLLATE "C") WHERE NOT "frozen";
CREATE INDEX "users_search_display_name_idx" ON "users" ("domain_id", lower("display_name") COLLATE "C") WHERE NOT "frozen";
CREATE INDEX "users_search_pinyin_idx" ON "users" ("domain_id", "search_pinyin" COLLATE "C") WHERE NOT "frozen";
CREATE INDEX "users_search_initials_idx" ON "users" ("domain_id", "search_initials" COLLATE "C") WHERE NOT "frozen";

-- Substring matching (3+ characters) over every searchable field at once. The expression is
-- repeated verbatim in src/storage/postgres/search.ts (USER_TEXT): keep both in sync.
CREATE INDEX "users_search_text_trgm_idx" ON "users" USING gin (
    (lower("username" || ' ' || "display_name" || ' ' || coalesce("department", '') || ' ' || coalesce("pinyin", '')
        || ' ' || coalesce("search_pinyin", ''))) gin_trgm_ops
) WHERE NOT "frozen";
