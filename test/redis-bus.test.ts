// With REDIS_URL set, nodes share live events through Redis: two servers on one
// database, a message sent on node A reaches a subscriber on node B.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { collect, createDatabase, dropDatabase, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { ckeyMatches } from '../src/startalk/ckey.js';

let a: TestApp;
let b: TestApp;
let dbUrl: string;

beforeAll(async () => {
  dbUrl = await createDatabase();
  const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`, SEND_RATE_PER_SEC: '0' };
  a = await startTestApp(env, dbUrl);
  b = await startTestApp(env, dbUrl);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await dropDatabase(dbUrl);
});

const EVENTS = 'subscription($since:String){ events(since:$since){ cursor ... on MessageAddedEvent { message { body } } } }';

it('delivers across nodes, in order, and resumes on the other node', async () => {
  const { alice, bob } = await users(a, 'alice', 'bob');
  const bobOnB = collect(b.ws(bob.token), EVENTS);
  await sleep(200);
  const sent = [];
  for (let i = 0; i < 20; i++) {
    await a.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }', { i: { to: 'bob', body: `x${i}` } }, alice.token);
    sent.push(`x${i}`);
  }
  const got = await bobOnB.waitFor(20);
  expect(got.map((e) => e.events.message.body)).toEqual(sent);
  const mid = got[9].events.cursor;
  bobOnB.stop();
  // the phone reconnects to node A with a cursor it got from node B
  const resumed = collect(a.ws(bob.token), EVENTS, { since: mid });
  const replay = await resumed.waitFor(10);
  expect(replay.map((e) => e.events.message.body)).toEqual(sent.slice(10));
  resumed.stop();
});

it('reports ready only while Redis is connected', async () => {
  const r = await fetch(a.url.replace('/graphql', '/readyz'));
  expect(r.status).toBe(200);
  expect(a.app.storage.bus.isReady()).toBe(true);
});

it('shares Startalk session keys between nodes, and forgets revoked ones', async () => {
  const { createHash } = await import('node:crypto');
  const user = await a.createUser('keyholder');
  const key = await a.app.core.sessionKeys.issue(user.id);
  const k = createHash('md5').update(`${key}123`).digest('hex').toUpperCase();
  expect(await b.app.core.sessionKeys.anyLive(user.id, (s) => ckeyMatches(s, k, '123'))).toBe(true);
  await a.app.core.sessionKeys.revoke(user.id, key);
  expect(await b.app.core.sessionKeys.anyLive(user.id, (s) => ckeyMatches(s, k, '123'))).toBe(false);
});
