// Small XML helpers shared by the bridge: namespaces and stanza builders.
import { Element } from 'ltx';

export const NS = {
  client: 'jabber:client',
  stream: 'http://etherx.jabber.org/streams',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  ping: 'urn:xmpp:ping',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  forward: 'urn:xmpp:forward:0',
  delay: 'urn:xmpp:delay',
} as const;

export function el(name: string, attrs: Record<string, string | number | undefined> = {}, ...children: (Element | string)[]): Element {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = String(v);
  const e = new Element(name, clean);
  for (const c of children) (typeof c === 'string' ? e.t(c) : e.cnode(c));
  return e;
}

/** A result reply to an IQ (RFC 6120 §8.2.3), with an optional payload. */
export function result(iq: Element, child?: Element): Element {
  const r = el('iq', { type: 'result', id: iq.attrs.id });
  return child ? r.cnode(child).up() : r;
}

/** An error reply to a stanza (RFC 6120 §8.3). */
export function stanzaError(stanza: Element, type: string, condition: string, text?: string): Element {
  const reply = el(stanza.name, { type: 'error', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to });
  const err = el('error', { type }, el(condition, { xmlns: NS.stanzas }));
  if (text) err.cnode(el('text', { xmlns: NS.stanzas }, text));
  return reply.cnode(err).up();
}

/** XEP-0297 <forwarded/> around a copy of a stanza (carbons, MAM), with its XEP-0203 delay when given. */
export function forwarded(stanza: Element, stamp?: Date): Element {
  return stamp ? el('forwarded', { xmlns: NS.forward }, el('delay', { xmlns: NS.delay, stamp: stamp.toISOString() }), stanza)
    : el('forwarded', { xmlns: NS.forward }, stanza);
}

export function bare(jid: string): string {
  return jid.split('/', 1)[0]!;
}
