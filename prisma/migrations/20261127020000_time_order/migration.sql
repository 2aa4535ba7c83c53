-- Message time follows stream order: the stream writer stamps created_at with
-- GREATEST(last stamp, now) under the stream lock, so created_at never goes backwards in
-- seq order, even across nodes with skewed clocks. Legacy clients page by time
-- (PROTOCOL.md §6.2); with this, a time cursor maps to one seq position.
-- at_count: positions taken in that millisecond; past 999 the stamp moves on one ms, so the
-- three µs digits of a legacy `t` always tell the messages of one millisecond apart.
ALTER TABLE "stream_position"
    ADD COLUMN "at_ms" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "at_count" INTEGER NOT NULL DEFAULT 0;

-- Time cursor -> seq, and a message's rank within its millisecond (the µs digits of `t`).
CREATE INDEX "messages_created_at_seq_idx" ON "messages"("created_at", "seq");

-- "Changes since T" for everything else on the stream (group sync): the events' stamps.
CREATE INDEX "events_created_at_seq_idx" ON "events"("created_at", "seq");
