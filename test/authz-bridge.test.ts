// Issue 14: the authorization matrix of the bridge's IQ handlers. Every IQ handler the bridge's
// modules register (bridgeModules) must have a case in test/authz/bridge-table.ts; each is sent
// by a room's owner, admin, member, a removed member and a stranger over a real XMPP client.
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeModules } from '../bridge/index.js';
import { xmppLogin, type Stanza } from './helpers/xmpp.js';
import { PASSWORD, setupFixtures } from './authz/fixtures.js';
import { BRIDGE_CASES, BRIDGE_PRINCIPALS, type BridgeCase, type BridgeFx, type BridgeOutcome, type BridgePrincipal } from './authz/bridge-table.js';

let b: BridgeFx;

beforeAll(async () => {
  const fx = await setupFixtures({ XMPP_STANZAS_PER_SEC: '0' });
  const xmpp = {} as BridgeFx['xmpp'];
  for (const p of BRIDGE_PRINCIPALS) xmpp[p] = await xmppLogin(fx.t.app.bridgePort!, p, 'authz', PASSWORD);
  const roomOf = async (g: string) => (await fx.ok('owner', 'query($g:ID!){ group(id:$g){ card { roomName } } }', { g })).group.card.roomName as string;
  b = {
    ...fx, xmpp, room: await roomOf(fx.group),
    freshRoom: async () => {
      const id = await fx.freshGroup();
      return { id, room: await roomOf(id) };
    },
  };
}, 120_000);
afterAll(async () => {
  for (const x of Object.values(b?.xmpp ?? {})) await x.c.stop().catch(() => {});
  await b?.close();
});

const caseName = (c: BridgeCase) => `${c.event}${c.label ? ` (${c.label})` : ''}`;

describe('every IQ handler of the bridge has a row in the matrix', () => {
  it('lists every iq-get/iq-set handler the modules register, and nothing else', () => {
    const events = [...new Set(bridgeModules().flatMap((m) => Object.keys(m.hooks)).filter((e) => /^iq-(get|set)\//.test(e)))];
    const covered = new Set(BRIDGE_CASES.map((c) => c.event));
    expect(events.filter((e) => !covered.has(e)), 'IQ handlers without a row').toEqual([]);
    expect([...covered].filter((e) => !events.includes(e)), 'rows of handlers that do not exist').toEqual([]);
  });
});

async function send(p: BridgePrincipal, iq: Stanza): Promise<{ res?: Stanza; err?: { type?: string; condition?: string; text?: string } }> {
  try {
    return { res: await b.xmpp[p].c.iqCaller.request(iq, 10_000) };
  } catch (e) {
    const se = e as { name?: string; condition?: string; text?: string; element?: Stanza };
    if (se.name !== 'StanzaError') throw e;
    return { err: { type: se.element?.getChild('error')?.attrs.type, condition: se.condition, text: se.text } };
  }
}

async function runCell(c: BridgeCase, p: BridgePrincipal) {
  const iq = await c.iq(b, p);
  const r = await send(p, iq);
  const got: BridgeOutcome | string = r.res ? 'ok' : r.err?.condition === 'item-not-found' ? 'hidden' : r.err ? 'refused' : 'none';
  expect(got, `${caseName(c)} # ${p}: ${JSON.stringify(r.err ?? r.res?.toString().slice(0, 300))}`).toBe(c.expect[p]);
  if (c.expect[p] === 'hidden') {
    expect(c.missing, 'a hidden refusal needs a "missing" IQ to compare with').toBeDefined();
    const m = await send(p, c.missing!(b, p));
    expect(r.err, 'the refusal looks exactly like an unknown room').toEqual(m.err);
  }
  if (c.expect[p] === 'ok' && c.check) await c.check(b, p, r.res!, iq);
}

describe.concurrent('bridge IQ authorization matrix', () => {
  for (const c of BRIDGE_CASES) {
    for (const p of BRIDGE_PRINCIPALS) it(`${caseName(c)} # ${p} → ${c.expect[p]}`, () => runCell(c, p));
  }
});

// Stanzas that are not IQs but act on a room: an outsider's group message is refused exactly as
// one to an unknown room, and nothing is stored.
describe.concurrent('bridge group messages', () => {
  const post = async (p: BridgePrincipal, room: string, text: string) => {
    const id = `m${Math.random().toString(36).slice(2)}`;
    await b.xmpp[p].c.send(xml('message', { type: 'groupchat', to: `${room}@conference.localhost`, id }, xml('body', { id }, text)));
    return b.xmpp[p].waitFor((s) => s.is('message') && (s.attrs.id === id || s.getChild('body')?.attrs.id === id)
      && (s.attrs.type === 'error' || s.attrs.type === 'mstat'));
  };
  const history = async () => JSON.stringify(await b.ok('member', 'query($c:ID!){ messages(conversationId:$c, first:50){ nodes { body } } }', { c: b.groupConv }));
  for (const p of ['removed', 'stranger'] as const) {
    it(`message/groupchat # ${p} → refused like an unknown room, not stored`, async () => {
      const text = `outsider ${p} says hi`;
      const mine = await post(p, b.room, text);
      const none = await post(p, 'nosuchroom', text);
      expect(mine.attrs.type).toBe('error');
      expect(mine.getChild('error')!.toString()).toBe(none.getChild('error')!.toString());
      expect(await history()).not.toContain(text);
    });
  }
  it('message/groupchat # member → stored (the control)', async () => {
    expect((await post('member', b.room, 'member says hi')).attrs.type).toBe('mstat');
    expect(await history()).toContain('member says hi');
  });
});

// A removal takes effect at once for a connected client: nothing posted after it reaches them.
describe('a member removed while connected', () => {
  it('gets no group message posted after the removal', async () => {
    const { id: g } = await b.freshRoom();
    const secret = `posted after a live removal ${Math.random().toString(36).slice(2)}`;
    const marker = `marker ${Math.random().toString(36).slice(2)}`;
    await b.ok('owner', 'mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"while you are here"}){ id } }', { g });
    await b.xmpp.member.waitFor((s) => s.is('message') && s.getChildText('body') === 'while you are here');
    await b.ok('owner', 'mutation($g:ID!){ removeFromGroup(groupId:$g, user:"member"){ id } }', { g });
    await b.ok('owner', 'mutation($g:ID!,$b:String!){ sendGroupMessage(input:{groupId:$g, body:$b}){ id } }', { g, b: secret });
    await b.ok('admin', 'mutation($b:String!){ sendMessage(input:{to:"member", body:$b}){ id } }', { b: marker });
    await b.xmpp.member.waitFor((s) => s.is('message') && s.getChildText('body') === marker);
    // the gadmin, still a member, did get it: the message was delivered, just not to the removed
    await b.xmpp.gadmin.waitFor((s) => s.is('message') && s.getChildText('body') === secret);
    expect(b.xmpp.member.stanzas.map((s) => s.toString()).join('\n')).not.toContain(secret);
  });
});
