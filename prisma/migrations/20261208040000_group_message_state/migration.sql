-- Per-message delivery state is 1:1 only; in groups each member has a read pointer. One
-- member's markMessages used to raise the shared state of group messages for everyone:
-- put those back (nothing else ever sets it for a group message).
UPDATE "messages" m SET "state" = 0
  FROM "conversations" c
 WHERE c."id" = m."conversation_id" AND c."kind" = 'group' AND m."state" <> 0;
