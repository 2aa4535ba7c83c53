// A message to a large group reaches every member's subscription exactly once, from one
// stored row and one bus publish.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bulkUsers, collect, sleep, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', MAX_WS_CONNECTIONS: '1000', MAX_CONNECTIONS_PER_IP: '0' }); // 250 sockets from loopback
});
afterAll(() => t?.close());

it('fans out to 250 members exactly once each, sender included', async () => {
  const members = await bulkUsers(t, 'fan', 250);
  const [owner, ...rest] = members;
  const g = await t.ok(
    'mutation($i:CreateGroupInput!){ createGroup(input:$i){ id card { memberCount } } }',
    { i: { name: 'big', members: rest.map((m) => m.username) } }, owner!.token,
  );
  expect(g.createGroup.card.memberCount).toBe(250);
  const groupId = g.createGroup.id;
  // Subscribing from a cursor taken now: a socket that is slow to connect under load
  // replays what it missed, so "exactly once" also covers the replay/live hand-over.
  const since = (await t.ok('{ eventCursor }', {}, owner!.token)).eventCursor;
  const subs = members.map((m) =>
    collect(t.ws(m.token), 'subscription($s:String){ events(since:$s) { ... on MessageAddedEvent { message { id body from { username } } } } }', { s: since }));
  await sleep(1000);

  let published = 0;
  const unsubscribe = t.app.storage.bus.subscribe((env) => {
    if (env.frame) published++;
  });
  const sent: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await t.ok('mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id } }',
      { i: { groupId, body: `all-${i}`, msgId: `fan-${i}` } }, rest[i]!.token);
    sent.push(r.sendGroupMessage.id);
  }
  await Promise.all(subs.map((s) => s.waitFor(5, 15_000)));
  await sleep(300); // anything extra would show up now
  unsubscribe();
  for (const [i, s] of subs.entries()) {
    const ids = s.items.map((e) => e.events.message?.id).filter(Boolean);
    expect(ids, `member ${i}`).toEqual(sent);
  }
  expect(published).toBe(5); // one publish per message (here one per commit), not per member
  const rows = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [groupId]);
  expect(rows.rows[0].n).toBe(5);
  for (const s of subs) s.stop();
}, 60_000);
