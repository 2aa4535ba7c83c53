-- The group's card as a user last saw it as a member, kept when they leave or are removed:
-- incremental group sync shows them that, never the group's later name, topic or members.
ALTER TABLE "user_groups" ADD COLUMN "card" JSONB;

-- Earlier exits: the card their leave/remove event carried (the event at their change_seq).
UPDATE "user_groups" ug SET "card" = e."payload"->'card'
  FROM "events" e
 WHERE e."seq" = ug."change_seq" AND e."kind" = 'group.members' AND ug."status" IN ('left', 'removed');
