// The XMPP bridge over TCP with a real client (@xmpp/client): login forms, chat both ways
// with GraphQL users, Startalk's mstat ack and priority rule, carbons, bad streams.
import { constants, createHash, publicEncrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';
import { xmppLogin } from './helpers/xmpp.js';
import { ckeyMatches } from '../src/startalk/ckey.js';

let t: TestApp;
let xmppPort: number;
const open: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0', MAX_STANZA_BYTES: '4096' });
  xmppPort = (t.app.bridgePort as number);
  await t.createUser('xena');
  await t.createUser('yuri');
  await t.createUser('zack');
});
afterAll(async () => {
  for (const c of open) await c.stop().catch(() => {});
  await t?.close();
});

/** no initial presence: these tests send their own (priority rule, presence probes) */
async function login(username: string, password: string, resource = 'r1') {
  const x = await xmppLogin(xmppPort, username, resource, password, { presence: false });
  open.push(x.c);
  return x;
}

describe('XMPP over TCP', () => {
  it('logs in with the plain password or a GraphQL token, and refuses a wrong one', async () => {
    const a = await login('xena', 'password-123');
    expect(a.c.jid?.toString()).toBe('xena@localhost/r1');
    const token = await t.login('yuri', 'password-123');
    const b = await login('yuri', token, 'tok');
    expect(b.c.jid?.toString()).toBe('yuri@localhost/tok');
    await expect(login('xena', 'wrong-password')).rejects.toThrow(/not-authorized/);
    // Startalk clients: RSA(Startalk's published public key, JSON {p,u,a,d})
    const pub = readFileSync(new URL('../src/startalk/keys/startalk-default-public.pem', import.meta.url));
    const rsa = (json: object) =>
      publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(JSON.stringify(json))).toString('base64');
    const s = await login('xena', rsa({ p: 'password-123', u: 'xena', a: 'testapp', d: '2026-11-27 06:00:00' }), 'stk');
    expect(s.c.jid?.toString()).toBe('xena@localhost/stk');
    await s.c.stop();
    await expect(login('xena', rsa({ p: 'nope-nope', u: 'xena' }))).rejects.toThrow(/not-authorized/);
    await expect(login('xena', rsa({ p: 'password-123', u: 'yuri' }))).rejects.toThrow(/not-authorized/);
    await a.c.stop();
    await b.c.stop();
  });

  it('chats XMPP -> GraphQL with the mstat ack, and GraphQL -> XMPP after initial presence only', async () => {
    const x = await login('xena', 'password-123', 'desk');
    const yuriSub = collect(t.ws(await t.login('yuri', 'password-123')), 'subscription { events { ... on MessageAddedEvent { message { msgId body msgType from { username } } } } }');
    await sleep(200);
    await x.c.send(xml('message', { type: 'chat', to: 'yuri@localhost', id: 'm1' },
      xml('body', { id: 'stk-0001', msgType: '1' }, 'hi from xmpp')));
    const ack = await x.waitFor((s) => s.attrs.type === 'mstat');
    expect(ack.getChild('body')?.attrs).toMatchObject({ id: 'stk-0001', stat: 'sent' });
    expect(Number(ack.attrs.msec_times)).toBeGreaterThan(0);
    const [got] = await yuriSub.waitFor(1);
    expect(got.events.message).toEqual({ msgId: 'stk-0001', body: 'hi from xmpp', msgType: 1, from: { username: 'xena' } });
    // stored once even if the client retries with the same body id
    await x.c.send(xml('message', { type: 'chat', to: 'yuri@localhost' }, xml('body', { id: 'stk-0001' }, 'hi from xmpp')));
    await sleep(200);
    const n = await t.db.query("SELECT count(*)::int AS n FROM messages WHERE msg_id = 'stk-0001'");
    expect(n.rows[0].n).toBe(1);

    // GraphQL -> XMPP: nothing before the initial presence (Startalk's rule), then delivered
    const yToken = await t.login('yuri', 'password-123');
    await t.ok('mutation { sendMessage(input:{to:"xena", body:"before presence", msgId:"g-1"}) { id } }', {}, yToken);
    await sleep(300);
    expect(x.stanzas.some((s) => s.getChildText('body') === 'before presence')).toBe(false);
    await x.c.send(xml('presence', {}, xml('priority', {}, '5')));
    await sleep(100);
    await t.ok('mutation { sendMessage(input:{to:"xena", body:"after presence", msgId:"g-2", msgType: 5}) { id } }', {}, yToken);
    const m = await x.waitFor((s) => s.getChildText('body') === 'after presence');
    expect(m.attrs).toMatchObject({ type: 'chat', from: 'yuri@localhost', to: 'xena@localhost/desk' });
    expect(m.getChild('body')?.attrs).toMatchObject({ id: 'g-2', msgType: '5' });
    yuriSub.stop();
    await x.c.stop();
  });

  it('copies what a user sends to their other sessions as carbons, not back to the sender', async () => {
    const phone = await login('zack', 'password-123', 'phone');
    const desk = await login('zack', 'password-123', 'desk');
    for (const s of [phone, desk]) await s.c.send(xml('presence'));
    await sleep(100);
    await phone.c.send(xml('message', { type: 'chat', to: 'xena@localhost' }, xml('body', { id: 'carbon-1' }, 'to xena')));
    const copy = await desk.waitFor((s) => s.getChildText('body') === 'to xena');
    expect(copy.attrs).toMatchObject({ carbon_message: 'true', from: 'xena@localhost', to: 'zack@localhost/desk' });
    await sleep(200);
    expect(phone.stanzas.filter((s) => s.getChildText('body') === 'to xena')).toEqual([]);
    await phone.c.stop();
    await desk.c.stop();
  });

  it('maps Startalk readmark, revoke and typing both ways', async () => {
    const x = await login('xena', 'password-123', 'marks');
    await x.c.send(xml('presence'));
    const yToken = await t.login('yuri', 'password-123');
    const ySub = collect(t.ws(yToken), `subscription { events { __typename
      ... on MessageStateEvent { msgIds state } ... on MessageRecalledEvent { msgId } ... on TypingEvent { user { username } } } }`);
    await sleep(200);
    // GraphQL -> XMPP message, then XMPP readmark (read_type 4) -> GraphQL READ state
    await t.ok('mutation { sendMessage(input:{to:"xena", body:"read me", msgId:"rm-1"}) { id } }', {}, yToken);
    await x.waitFor((s) => s.getChildText('body') === 'read me');
    await x.c.send(xml('message', { type: 'readmark', to: 'yuri@localhost', read_type: '4' }, xml('body', {}, JSON.stringify([{ id: 'rm-1' }]))));
    const notAdded = (n: number) => eventually(() => {
      const got = ySub.items.filter((e) => e.events.__typename !== 'MessageAddedEvent');
      return got.length >= n ? got : undefined;
    }, { timeoutMs: 10_000, what: `${n} events other than MessageAddedEvent` });
    expect((await notAdded(1))[0].events).toEqual({ __typename: 'MessageStateEvent', msgIds: ['rm-1'], state: 'READ' });
    // XMPP typing -> GraphQL TypingEvent
    await x.c.send(xml('message', { type: 'typing', to: 'yuri@localhost' }));
    expect((await notAdded(2))[1].events).toEqual({ __typename: 'TypingEvent', user: { username: 'xena' } });
    // XMPP revoke -> GraphQL MessageRecalledEvent, and history shows the marker
    await x.c.send(xml('message', { type: 'chat', to: 'yuri@localhost' }, xml('body', { id: 'rv-1' }, 'oops')));
    await x.waitFor((s) => s.attrs.type === 'mstat' && s.getChild('body')?.attrs.id === 'rv-1');
    await x.c.send(xml('message', { type: 'revoke', to: 'yuri@localhost' },
      xml('body', { id: 'rv-1', msgType: '-1' }, JSON.stringify({ messageId: 'rv-1', fromId: 'xena@localhost', message: 'revoke a message' }))));
    expect((await notAdded(3))[2].events).toEqual({ __typename: 'MessageRecalledEvent', msgId: 'rv-1' });
    // GraphQL recall and typing -> XMPP revoke and typing stanzas
    const m = await t.ok('mutation { sendMessage(input:{to:"xena", body:"take back", msgId:"rv-2"}) { id } }', {}, yToken);
    await t.ok('mutation($m:ID!){ recallMessage(messageId:$m) { recalled } }', { m: m.sendMessage.id }, yToken);
    const rv = await x.waitFor((s) => s.attrs.type === 'revoke' && s.getChild('body')?.attrs.id === 'rv-2');
    expect(rv.getChild('body')?.attrs).toMatchObject({ id: 'rv-2', msgType: '-1' });
    await t.ok('mutation { sendTyping(to:"xena") }', {}, yToken);
    const ty = await x.waitFor((s) => s.attrs.type === 'typing');
    expect(ty.attrs.from).toBe('yuri@localhost');
    ySub.stop();
    await x.c.stop();
  });

  it('pages the archive (XEP-0313 + RSM) exactly as GraphQL history, and answers disco and roster', async () => {
    const a = await login('xena', 'password-123', 'mam');
    const zToken = await t.login('zack', 'password-123');
    for (let i = 0; i < 7; i++) {
      await t.ok('mutation($b:String!){ sendMessage(input:{to:"xena", body:$b}) { id } }', { b: `h${i}` }, zToken);
    }
    const gql = await t.ok('{ messages(with:"zack", first:100, order:OLDEST_FIRST){ nodes { id body } } }', {}, await t.login('xena', 'password-123'));
    const expected = gql.messages.nodes.map((n: any) => [n.id, n.body]);
    const page = async (rsm: any[], qid: string) => {
      const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:mam:2')),
        xml('field', { var: 'with' }, xml('value', {}, 'zack@localhost')));
      const fin = await a.c.iqCaller.request(xml('iq', { type: 'set', id: qid },
        xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: qid }, form, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, ...rsm))));
      const rows = a.stanzas.filter((s) => s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === qid).map((s) => {
        const r = s.getChild('result', 'urn:xmpp:mam:2');
        return [r.attrs.id, r.getChild('forwarded').getChild('message').getChildText('body')];
      });
      const f = fin.getChild('fin', 'urn:xmpp:mam:2');
      return { rows, complete: f.attrs.complete === 'true', last: f.getChild('set').getChildText('last') };
    };
    const p1 = await page([xml('max', {}, '3')], 'q1');
    const p2 = await page([xml('max', {}, '3'), xml('after', {}, p1.last)], 'q2');
    const p3 = await page([xml('max', {}, '3'), xml('after', {}, p2.last)], 'q3');
    expect([...p1.rows, ...p2.rows, ...p3.rows]).toEqual(expected);
    expect([p1.complete, p2.complete, p3.complete]).toEqual([false, false, true]);
    const lastPage = await page([xml('max', {}, '2'), xml('before')], 'q4');
    expect(lastPage.rows).toEqual(expected.slice(-2));

    // without `with`: the whole 1:1 archive, across peers, in order
    const all = await a.c.iqCaller.request(xml('iq', { type: 'set', id: 'qall' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'qall' },
      xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '100')))));
    expect(all.getChild('fin').attrs.complete).toBe('true');
    const archive = a.stanzas.filter((s) => s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'qall');
    const ids = archive.map((s) => BigInt(s.getChild('result').attrs.id));
    expect(ids).toEqual([...ids].sort((p, q) => (p < q ? -1 : 1)));
    const peers = new Set(archive.map((s) => s.getChild('result').getChild('forwarded').getChild('message').attrs.from));
    expect(peers.size).toBeGreaterThan(1); // zack and yuri (and xena herself)
    expect(archive.map((s) => s.getChild('result').getChild('forwarded').getChild('message').getChildText('body'))).toEqual(expect.arrayContaining(expected.map((e: any) => e[1])));

    const info = await a.c.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'localhost');
    expect(info.getChildren('feature').map((f: any) => f.attrs.var)).toContain('urn:xmpp:mam:2');
    const ros = await a.c.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }));
    expect(ros.getChildren('item').map((i: any) => i.attrs.jid)).toContain('zack@localhost');
    await expect(a.c.iqCaller.set(xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'x@localhost' })))).rejects.toThrow(/not-allowed/);
    await a.c.stop();
  });

  it('sends XEP-0280 carbons to a session that enabled them', async () => {
    const main = await login('zack', 'password-123', 'main');
    const side = await login('zack', 'password-123', 'side');
    await main.c.send(xml('presence', {}, xml('priority', {}, '10')));
    await side.c.send(xml('presence', {}, xml('priority', {}, '1')));
    await side.c.iqCaller.set(xml('enable', { xmlns: 'urn:xmpp:carbons:2' }));
    await sleep(100);
    const xToken = await t.login('xena', 'password-123');
    await t.ok('mutation { sendMessage(input:{to:"zack", body:"to the main session"}) { id } }', {}, xToken);
    await main.waitFor((s) => s.getChildText('body') === 'to the main session');
    const copy = await side.waitFor((s) => !!s.getChild('received', 'urn:xmpp:carbons:2'));
    const inner = copy.getChild('received').getChild('forwarded').getChild('message');
    expect(inner.attrs).toMatchObject({ from: 'xena@localhost', to: 'zack@localhost' });
    expect(inner.getChildText('body')).toBe('to the main session');
    await main.c.send(xml('message', { type: 'chat', to: 'xena@localhost' }, xml('body', { id: 'sent-copy' }, 'from main')));
    const sent = await side.waitFor((s) => !!s.getChild('sent', 'urn:xmpp:carbons:2'));
    expect(sent.getChild('sent').getChild('forwarded').getChild('message').attrs).toMatchObject({ from: 'zack@localhost', to: 'xena@localhost' });
    await main.c.stop();
    await side.c.stop();
  });

  it('gives each session a Startalk time_key that dies with the session', async () => {
    const a = await login('yuri', 'password-123', 'keyed');
    await a.c.iqCaller.set(xml('session', { xmlns: 'urn:ietf:params:xml:ns:xmpp-session' }));
    const p = await a.waitFor((s) => s.name === 'presence' && s.attrs.xmlns === 'config:xmpp:time_key');
    const key = p.attrs.key_value as string;
    expect(key).toMatch(/^[0-9A-F]{32}$/);
    const yuri = (await t.ok('{ me { id } }', {}, await t.login('yuri', 'password-123'))).me.id;
    const t0 = String(Date.now());
    const k = createHash('md5').update(key + t0).digest('hex').toUpperCase();
    expect(await t.app.core.sessionKeys.anyLive(yuri, (s) => ckeyMatches(s, k, t0))).toBe(true);
    expect(await t.app.core.sessionKeys.anyLive(yuri, (s) => ckeyMatches(s, k, '1'))).toBe(false);
    await a.c.stop();
    await sleep(100);
    expect(await t.app.core.sessionKeys.anyLive(yuri, (s) => ckeyMatches(s, k, t0))).toBe(false);
  });

  it('answers XEP-0199 ping', async () => {
    const a = await login('xena', 'password-123', 'pinger');
    await expect(a.c.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }))).resolves.toBeUndefined(); // empty result
    await expect(a.c.iqCaller.get(xml('query', { xmlns: 'urn:example:unknown' }))).rejects.toThrow(/service-unavailable/);
    await a.c.stop();
  });

  it('closes a malformed or oversized stream with the right stream error, and only that stream', async () => {
    const raw = (data: string) => new Promise<string>((resolve) => {
      const s = connect(xmppPort, '127.0.0.1');
      let out = '';
      s.setEncoding('utf8');
      s.on('data', (d) => (out += d));
      s.on('close', () => resolve(out));
      s.write("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
      setTimeout(() => s.write(data), 50);
      setTimeout(() => s.destroy(), 3000);
    });
    const survivor = await login('yuri', 'password-123', 'survivor');
    expect(await raw('<message><body>x</bogus></message>')).toContain('not-well-formed');
    expect(await raw(`<message><body>${'x'.repeat(5000)}</body></message>`)).toContain('policy-violation');
    expect(await raw('<!DOCTYPE foo [<!ENTITY x "y">]><message/>')).toContain('restricted-xml');
    await expect(survivor.c.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }))).resolves.toBeUndefined();
    await survivor.c.stop();
  });
});

describe('XMPP flood control', () => {
  it('refuses stanzas beyond the per-session rate, then closes a stream that keeps flooding', async () => {
    const a = await login('xena', 'password-123', 'flood');
    for (let i = 0; i < 600; i++) a.c.write(`<iq type='get' id='f${i}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await eventually(() => a.stanzas.some((s) => s.getChild('error')?.getChild('resource-constraint')), { timeoutMs: 10_000, what: 'a resource-constraint error' });
    expect(a.stanzas.some((s) => s.getChild('error')?.getChild('resource-constraint'))).toBe(true);
    expect(a.stanzas.filter((s) => s.attrs.type === 'result').length).toBeGreaterThanOrEqual(200);
    await eventually(() => a.errors.includes('policy-violation'), { timeoutMs: 10_000, what: 'the policy-violation stream error' });
    expect(a.errors).toContain('policy-violation');
    await a.c.stop().catch(() => {});
  });
});
