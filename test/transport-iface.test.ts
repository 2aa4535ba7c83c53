// The stanza-level Transport (bridge/session.ts) is enough to drive a session: a fake transport
// with no socket and no XML logs in with SASL PLAIN, binds, and is ended with a stream error,
// against the real core (PostgreSQL). Modules never learn which transport they run on.
import type { Element } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeModules } from '../bridge/index.js';
import { Router } from '../bridge/router.js';
import { Session, SessionRegistry, type BridgeContext, type Transport } from '../bridge/session.js';
import { el, NS } from '../bridge/xml.js';
import { loadStartalkKey } from '../src/startalk/rsa.js';
import { startTestApp, type TestApp } from './helpers/app.js';

class FakeTransport implements Transport {
  readonly sent: Element[] = [];
  readonly calls: string[] = [];
  open(streamId: string, domain: string) { this.calls.push(`open ${domain}`); }
  send(stanza: Element) { this.sent.push(stanza); }
  end(condition: string, text?: string) { this.calls.push(`end ${condition} ${text ?? ''}`); }
  restart() { this.calls.push('restart'); }
  close() { this.calls.push('close'); }
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0' });
  await t.createUser('fay');
});
afterAll(async () => {
  await t?.close();
});

describe('stanza-level transport', () => {
  it('drives SASL, bind and a stream error through a fake transport', async () => {
    const router = new Router();
    for (const m of bridgeModules()) router.use(m);
    const ctx: BridgeContext = {
      core: t.app.core, domain: 'localhost', router, sessions: new SessionRegistry(), startalkKey: loadStartalkKey(),
      stanzasPerSec: 0, plainPolicy: 'always', log: { warn: () => {} },
    };
    const fake = new FakeTransport();
    const session = new Session(fake, ctx, { loopback: true });

    session.open();
    expect(fake.calls).toEqual(['open localhost']);
    expect(fake.sent.at(-1)!.getChild('mechanisms', NS.sasl)).toBeTruthy();

    const plain = Buffer.from('\0fay\0password-123').toString('base64');
    await session.handle(el('auth', { xmlns: NS.sasl, mechanism: 'PLAIN' }, plain));
    expect(fake.sent.at(-1)!.name).toBe('success');
    expect(fake.calls.at(-1)).toBe('restart');

    session.open();
    expect(fake.sent.at(-1)!.getChild('bind', NS.bind)).toBeTruthy();
    await session.handle(el('iq', { type: 'set', id: 'b1' }, el('bind', { xmlns: NS.bind }, el('resource', {}, 'fake'))));
    const bound = fake.sent.find((s) => s.attrs.id === 'b1')!;
    expect(bound.attrs.type).toBe('result');
    expect(bound.getChild('bind', NS.bind)!.getChildText('jid')).toBe('fay@localhost/fake');
    // the module sends the same bind result on every transport: the key is the protobuf codec's business
    expect(bound.getChild('bind', NS.bind)!.attrs.key_value).toBeUndefined();
    expect(session.sessionKey).toBeTruthy();

    session.streamError('conflict', 'replaced');
    expect(fake.calls.slice(-2)).toEqual(['end conflict replaced', 'close']);
    expect(session.closed).toBe(true);
  });
});
