// Group chat and notify presences between XMPP clients on two nodes (one database, Redis):
// the bridge keeps no state, so a room and a user's devices span nodes.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, startTestApp, type TestApp } from './helpers/app.js';
import { xmppLogin, type XmppClient } from './helpers/xmpp.js';

let a: TestApp;
let b: TestApp;
let dbUrl: string;
const open: XmppClient[] = [];
const P = 'http://jabber.org/protocol/';

beforeAll(async () => {
  dbUrl = await createDatabase();
  const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`, SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' };
  a = await startTestApp(env, dbUrl);
  b = await startTestApp(env, dbUrl);
  await a.createUser('ivy');
  await a.createUser('jon');
});
afterAll(async () => {
  for (const x of open) await x.c.stop().catch(() => {});
  await b?.close();
  await a?.close();
  await dropDatabase(dbUrl);
});

const on = async (app: TestApp, user: string, resource: string) => {
  const x = await xmppLogin(app.app.bridgePort as number, user, resource);
  open.push(x);
  return x;
};

it('runs a room across nodes: create and invite on one, messages both ways, presences everywhere', async () => {
  const ivy = await on(a, 'ivy', 'r1');
  const jon = await on(b, 'jon', 'r1');
  const room = 'feedc0de00000000000000000000beef@conference.localhost';
  await ivy.iq('set', `${P}create_muc`, room);
  await ivy.iq('set', `${P}muc#invite_v2`, room, xml('invite', { jid: 'jon@localhost' }));
  await jon.waitFor((s) => s.name === 'iq' && !!s.getChild('add_user', `${P}muc#add_user`));
  await jon.waitFor((s) => s.attrs.xmlns === `${P}muc#invite` && s.attrs.invite_jid === 'jon@localhost');
  await jon.c.send(xml('message', { type: 'groupchat', to: room }, xml('body', { id: 'n-1' }, 'from node b')));
  const m = await ivy.waitFor((s) => s.attrs.type === 'groupchat' && s.getChildText('body') === 'from node b');
  expect(m.attrs).toMatchObject({ from: `${room}/jon_localhost`, sendjid: 'jon@localhost' });
  await ivy.c.send(xml('message', { type: 'groupchat', to: room }, xml('body', { id: 'n-2' }, 'from node a')));
  await jon.waitFor((s) => s.attrs.type === 'groupchat' && s.getChildText('body') === 'from node a');
});

it('sends the online-clients notify to a user\'s sessions on the other node', async () => {
  const phone = await on(a, 'jon', 'V[2]_P[iOS]_ID[1]');
  await on(b, 'jon', 'V[2]_P[PC64]_ID[2]');
  const n = await phone.waitFor((s) => s.attrs.type === 'notify' && s.attrs.category === '9' && s.attrs.data.includes('P[PC64]'));
  expect(JSON.parse(n.attrs.data)).toEqual(expect.arrayContaining(['P[iOS]', 'P[PC64]']));
});
