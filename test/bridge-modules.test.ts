// Bridge modules one by one against a fake stanza-level transport (no socket, no XML framing),
// the way xmpp.js tests middleware: a stanza in, the stanzas out. The core underneath is real
// (PostgreSQL), so a module is changed and tested without a network client.
import type { Element } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeModules } from '../bridge/index.js';
import { Router } from '../bridge/router.js';
import { Session, SessionRegistry, type BridgeContext, type Transport } from '../bridge/session.js';
import { el, NS } from '../bridge/xml.js';
import { loadStartalkKey } from '../src/startalk/rsa.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';

class FakeTransport implements Transport {
  readonly sent: Element[] = [];
  open() {}
  send(stanza: Element) { this.sent.push(stanza); }
  end() {}
  restart() {}
  close() {}
  /** the answer to the IQ with this id */
  reply(id: string): Element | undefined {
    return this.sent.find((s) => s.name === 'iq' && s.attrs.id === id);
  }
}

let t: TestApp;
let ctx: BridgeContext;
beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0' });
  for (const u of ['mona', 'nils', 'olga']) await t.createUser(u);
  const router = new Router();
  for (const m of bridgeModules()) router.use(m);
  ctx = {
    core: t.app.core, domain: 'localhost', router, sessions: new SessionRegistry(), startalkKey: loadStartalkKey(),
    stanzasPerSec: 0, plainPolicy: 'always', log: { warn: () => {} },
  };
});
afterAll(async () => {
  await t?.close();
});

/** A session signed in with SASL PLAIN and bound to `resource`, on a fake transport. */
async function bound(username: string, resource = 'unit'): Promise<{ session: Session; fake: FakeTransport }> {
  const fake = new FakeTransport();
  const session = new Session(fake, ctx, { loopback: true });
  session.open();
  await session.handle(el('auth', { xmlns: NS.sasl, mechanism: 'PLAIN' }, Buffer.from(`\0${username}\0password-123`).toString('base64')));
  session.open();
  await session.handle(el('iq', { type: 'set', id: 'bind' }, el('bind', { xmlns: NS.bind }, el('resource', {}, resource))));
  expect(fake.reply('bind')?.attrs.type).toBe('result');
  fake.sent.length = 0;
  return { session, fake };
}

describe('bridge modules on a fake transport', () => {
  it('ping (XEP-0199) answers a result', async () => {
    const { session, fake } = await bound('mona');
    await session.handle(el('iq', { type: 'get', id: 'p1', to: 'localhost' }, el('ping', { xmlns: NS.ping })));
    expect(fake.reply('p1')?.attrs.type).toBe('result');
    session.close();
  });

  it('an IQ no module claims gets service-unavailable', async () => {
    const { session, fake } = await bound('mona');
    await session.handle(el('iq', { type: 'get', id: 'x1' }, el('query', { xmlns: 'urn:example:nothing' })));
    const r = fake.reply('x1')!;
    expect(r.attrs.type).toBe('error');
    expect(r.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeTruthy();
    session.close();
  });

  it('carbons (XEP-0280) enable and disable flip the session flag', async () => {
    const { session, fake } = await bound('mona');
    await session.handle(el('iq', { type: 'set', id: 'c1' }, el('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    expect(fake.reply('c1')?.attrs.type).toBe('result');
    expect(session.carbons).toBe(true);
    await session.handle(el('iq', { type: 'set', id: 'c2' }, el('disable', { xmlns: 'urn:xmpp:carbons:2' })));
    expect(session.carbons).toBe(false);
    session.close();
  });

  it('disco#info lists what the modules declare', async () => {
    const { session, fake } = await bound('mona');
    await session.handle(el('iq', { type: 'get', id: 'd1', to: 'localhost' }, el('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const vars = fake.reply('d1')!.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(vars).toEqual(expect.arrayContaining([NS.ping, 'urn:xmpp:carbons:2', 'jabber:iq:roster']));
    expect(new Set(vars).size).toBe(vars.length);
    session.close();
  });

  it('roster (RFC 6121) is the people one shares a conversation with, read-only', async () => {
    const { session, fake } = await bound('olga');
    await t.ok('mutation { sendMessage(input:{ to:"nils", body:"hi" }) { id } }', {}, await t.login('olga', 'password-123'));
    await session.handle(el('iq', { type: 'get', id: 'r1' }, el('query', { xmlns: 'jabber:iq:roster' })));
    const items = fake.reply('r1')!.getChild('query')!.getChildren('item').map((i) => i.attrs.jid);
    expect(items).toContain('nils@localhost');
    await session.handle(el('iq', { type: 'set', id: 'r2' }, el('query', { xmlns: 'jabber:iq:roster' }, el('item', { jid: 'mona@localhost' }))));
    expect(fake.reply('r2')?.attrs.type).toBe('error');
    session.close();
  });

  it('chat (RFC 6121 §5): the sender gets the mstat tick, the peer the message with Startalk body attributes', async () => {
    const a = await bound('mona', 'a');
    const b = await bound('nils', 'b');
    await b.session.handle(el('presence')); // RFC 6121 §8.5.2.1: a message goes to available resources
    await a.session.handle(el('message', { type: 'chat', to: 'nils@localhost', id: 'm1' },
      el('body', { id: 'unit-msg-1', msgType: '1' }, 'hello nils')));
    const tick = await eventually(() => a.fake.sent.find((s) => s.attrs.type === 'mstat'), { what: 'the mstat tick' });
    expect(tick.getChild('body')!.attrs.id).toBe('unit-msg-1');
    const got = await eventually(() => b.fake.sent.find((s) => s.name === 'message' && s.getChildText('body') === 'hello nils'),
      { what: 'the message at the peer' });
    expect(got.attrs.from).toMatch(/^mona@localhost/);
    expect(got.getChild('body')!.attrs).toMatchObject({ id: 'unit-msg-1', msgType: '1' });
    // the sending session does not get its own message back
    expect(a.fake.sent.some((s) => s.name === 'message' && s.attrs.type === 'chat' && s.getChildText('body') === 'hello nils')).toBe(false);
    a.session.close();
    b.session.close();
  });

  it('typing (XEP-0085 composing) reaches the peer as Startalk typing with the chat state, and is never stored', async () => {
    const a = await bound('mona', 'ta');
    const b = await bound('nils', 'tb');
    await a.session.handle(el('message', { type: 'chat', to: 'nils@localhost' }, el('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    const got = await eventually(() => b.fake.sent.find((s) => s.attrs.type === 'typing'), { what: 'typing at the peer' });
    expect(got.attrs.from).toBe('mona@localhost');
    expect(got.getChild('composing', 'http://jabber.org/protocol/chatstates')).toBeTruthy();
    const stored = await t.db.query("SELECT count(*)::int AS n FROM events WHERE kind = 'typing'");
    expect(stored.rows[0].n).toBe(0);
    a.session.close();
    b.session.close();
  });

  it('revoke (Startalk): the peer gets the recall; the revoking session gets no copy; the peer cannot recall it', async () => {
    const a = await bound('mona', 'ra');
    const b = await bound('nils', 'rb');
    await b.session.handle(el('presence'));
    await a.session.handle(el('message', { type: 'chat', to: 'nils@localhost' }, el('body', { id: 'unit-rev-1', msgType: '1' }, 'oops')));
    await eventually(() => b.fake.sent.find((s) => s.getChildText('body') === 'oops'), { what: 'the message at the peer' });
    // the peer may not recall someone else's message
    await b.session.handle(el('message', { type: 'revoke', to: 'mona@localhost', id: 'rv0' }, el('body', { id: 'unit-rev-1', msgType: '-1' })));
    expect(b.fake.sent.find((s) => s.attrs.type === 'error')?.getChild('error')?.getChild('not-allowed', NS.stanzas)).toBeTruthy();
    await a.session.handle(el('message', { type: 'revoke', to: 'nils@localhost', id: 'rv1' }, el('body', { id: 'unit-rev-1', msgType: '-1' })));
    const recall = await eventually(() => b.fake.sent.find((s) => s.attrs.type === 'revoke'), { what: 'the recall at the peer' });
    expect(recall.getChild('body')!.attrs).toMatchObject({ id: 'unit-rev-1', msgType: '-1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(a.fake.sent.some((s) => s.attrs.type === 'revoke')).toBe(false);
    a.session.close();
    b.session.close();
  });

  it('chat to another domain is refused with remote-server-not-found and nothing is stored', async () => {
    const { session, fake } = await bound('mona');
    await session.handle(el('message', { type: 'chat', to: 'x@elsewhere.example', id: 'm2' }, el('body', { id: 'unit-msg-2' }, 'out')));
    const err = fake.sent.find((s) => s.attrs.type === 'error')!;
    expect(err.getChild('error')!.getChild('remote-server-not-found', NS.stanzas)).toBeTruthy();
    const n = await t.db.query("SELECT count(*)::int AS n FROM messages WHERE msg_id = 'unit-msg-2'");
    expect(n.rows[0].n).toBe(0);
    session.close();
  });
});
