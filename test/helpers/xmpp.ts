// A real XMPP client (@xmpp/client) logged in over TCP, recording every stanza it gets.
import { client, xml } from '@xmpp/client';
import { eventually } from './wait.js';

export type Stanza = ReturnType<typeof xml>;
export type XmppClient = Awaited<ReturnType<typeof xmppLogin>>;

export interface XmppLoginOptions {
  /** send the initial presence (default true: Startalk clients always do) */
  presence?: boolean;
  /** another service URL than xmpp://127.0.0.1:port, e.g. the bridge's ws://…/websocket */
  service?: string;
}

/**
 * Logs in with PLAIN (a password or a GraphQL token) and, unless told not to, sends the initial
 * presence. Stream errors are collected in `errors` (their condition, e.g. 'policy-violation').
 */
export async function xmppLogin(port: number, username: string, resource = 'r1', password = 'password-123', o: XmppLoginOptions = {}) {
  const c = client({
    service: o.service ?? `xmpp://127.0.0.1:${port}`, domain: 'localhost', resource,
    credentials: (auth: (c: object, m: string) => Promise<void>) => auth({ username, password }, 'PLAIN'),
  });
  const errors: string[] = [];
  c.on('error', (e: { condition?: string; message?: string }) => errors.push(e.condition ?? e.message ?? String(e)));
  const stanzas: Stanza[] = [];
  c.on('stanza', (s: Stanza) => stanzas.push(s));
  await c.start();
  if (o.presence !== false) await c.send(xml('presence', {}, xml('priority', {}, '5')));
  const waitFor = (pred: (s: Stanza) => boolean, ms = 5000) =>
    eventually(() => stanzas.find(pred), { timeoutMs: ms, what: `a stanza for ${username}/${resource}` });
  /** an IQ with one <query xmlns=ns> child; resolves with the result stanza, rejects with the stanza error */
  const iq = (type: 'get' | 'set', ns: string, to: string, ...children: Stanza[]) =>
    c.iqCaller.request(xml('iq', { type, to }, xml('query', { xmlns: ns }, ...children))) as Promise<Stanza>;
  return { c, stanzas, errors, waitFor, iq };
}
