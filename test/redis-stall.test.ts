// Redis stops answering but its connections stay open (a partition): sends still work,
// cross-node delivery stalls, and both nodes must say so on /readyz until Redis is back.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { collect, createDatabase, dropDatabase, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { waitFor } from './helpers/cluster.js';
import { FreezeProxy } from './helpers/freeze-proxy.js';

let a: TestApp;
let b: TestApp;
let dbUrl: string;
let proxy: FreezeProxy;

const EVENTS = 'subscription{ events{ cursor ... on MessageAddedEvent { message { body } } } }';
const readyz = async (t: TestApp) => (await fetch(t.url.replace('/graphql', '/readyz'))).status;

beforeAll(async () => {
  dbUrl = await createDatabase();
  const redis = new URL(inject('redisUrl'));
  proxy = new FreezeProxy(redis.hostname, Number(redis.port || 6379));
  await proxy.start();
  const env = {
    REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
    SEND_RATE_PER_SEC: '0', READY_TIMEOUT_MS: '300',
  };
  a = await startTestApp(env, dbUrl);
  b = await startTestApp(env, dbUrl);
});
afterAll(async () => {
  proxy?.thaw();
  await b?.close();
  await a?.close();
  await proxy?.close();
  await dropDatabase(dbUrl);
});

it('reports not ready on every node while the bus is stalled, and ready again once it flows', async () => {
  const { alice, bob } = await users(a, 'alice', 'bob');
  const bobOnB = collect(b.ws(bob.token), EVENTS);
  await sleep(200);
  await a.ok('mutation{ sendMessage(input:{ to:"bob", body:"before" }){ id } }', {}, alice.token);
  expect((await bobOnB.waitFor(1)).length).toBe(1);
  expect([await readyz(a), await readyz(b)]).toEqual([200, 200]);

  proxy.freeze();
  try {
    // sends are stored (the database is fine); nothing crosses to node B
    await a.ok('mutation{ sendMessage(input:{ to:"bob", body:"during" }){ id } }', {}, alice.token);
    expect([await readyz(a), await readyz(b)]).toEqual([503, 503]);
    expect(bobOnB.items.length).toBe(1);
    // a read that needs Redis fails soon with the retryable code instead of waiting for the thaw
    const settled = await Promise.race([
      a.gql('query{ presence(users:["bob"]){ online } }', {}, alice.token),
      sleep(5000).then(() => 'still waiting' as const),
    ]);
    expect(settled).not.toBe("still waiting");
    expect((settled as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
  } finally {
    proxy.thaw();
  }
  await waitFor(async () => (await readyz(a)) === 200 && (await readyz(b)) === 200, 'both nodes ready again', 10_000);
  const got = await bobOnB.waitFor(2);
  expect(got.map((e) => e.events.message.body)).toEqual(['before', 'during']);
  bobOnB.stop();
});
