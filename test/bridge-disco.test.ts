// disco#info answers with the features the registered bridge modules declare: no central list.
import { client, xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeModules } from '../bridge/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
const open: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0' });
  await t.createUser('dora');
});
afterAll(async () => {
  for (const c of open) await c.stop().catch(() => {});
  await t?.close();
});

describe('XEP-0030 disco#info', () => {
  it('lists exactly the features of the registered modules', async () => {
    const c = client({
      service: `xmpp://127.0.0.1:${t.app.bridgePort as number}`, domain: 'localhost', resource: 'r1',
      credentials: (auth: (c: object, m: string) => Promise<void>) => auth({ username: 'dora', password: 'password-123' }, 'PLAIN'),
    });
    c.on('error', () => {});
    await c.start();
    open.push(c);
    const modules = bridgeModules();
    const declared = modules.flatMap((m) => (m as { features?: string[] }).features ?? []);
    // the modules that serve a protocol declare it (carbons, MAM, ping, roster, disco itself)
    for (const f of ['urn:xmpp:carbons:2', 'urn:xmpp:mam:2', 'urn:xmpp:ping', 'jabber:iq:roster', 'urn:startalk-next:roster:read-only', 'http://jabber.org/protocol/disco#info']) {
      expect(declared).toContain(f);
    }
    for (const to of ['localhost', 'dora@localhost']) {
      const info = await c.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), to);
      const listed = info.getChildren('feature').map((f: { attrs: { var: string } }) => f.attrs.var);
      expect(new Set(listed).size).toBe(listed.length); // no duplicates
      expect([...listed].sort()).toEqual([...new Set(declared)].sort());
    }
  });
});
