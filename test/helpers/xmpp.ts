// A real XMPP client (@xmpp/client) logged in over TCP, recording every stanza it gets.
import { client, xml } from '@xmpp/client';
import { sleep } from './app.js';

export type Stanza = ReturnType<typeof xml>;
export type XmppClient = Awaited<ReturnType<typeof xmppLogin>>;

/** Logs in with the password and sends the initial presence (Startalk clients always do). */
export async function xmppLogin(port: number, username: string, resource = 'r1', password = 'password-123') {
  const c = client({
    service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', resource,
    credentials: (auth: (c: object, m: string) => Promise<void>) => auth({ username, password }, 'PLAIN'),
  });
  c.on('error', () => {});
  const stanzas: Stanza[] = [];
  c.on('stanza', (s: Stanza) => stanzas.push(s));
  await c.start();
  await c.send(xml('presence', {}, xml('priority', {}, '5')));
  const waitFor = async (pred: (s: Stanza) => boolean, ms = 5000) => {
    const until = Date.now() + ms;
    for (;;) {
      const hit = stanzas.find(pred);
      if (hit) return hit;
      if (Date.now() > until) throw new Error(`${username}/${resource}: timed out waiting for a stanza`);
      await sleep(20);
    }
  };
  /** an IQ with one <query xmlns=ns> child; resolves with the result stanza, rejects with the stanza error */
  const iq = (type: 'get' | 'set', ns: string, to: string, ...children: Stanza[]) =>
    c.iqCaller.request(xml('iq', { type, to }, xml('query', { xmlns: ns }, ...children))) as Promise<Stanza>;
  return { c, stanzas, waitFor, iq };
}
