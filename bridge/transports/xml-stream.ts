// The XML side of the stanza-level Transport (session.ts), shared by XMPP/TCP and WebSocket:
// the stream header and end, serialization, and <stream:error/> with the stream end.
import type { Element } from 'ltx';
import type { Transport } from '../session.js';
import { el, NS } from '../xml.js';

export interface XmlFraming {
  /** the stream header: <stream:stream> on TCP, <open/> on WebSocket */
  header(id: string, domain: string): string;
  /** the stream end: </stream:stream> on TCP, <close/> on WebSocket */
  footer: string;
  /** adjusts each stanza before it is serialized (WebSocket: the jabber:client namespace) */
  prepare?(stanza: Element): void;
}

export interface XmlSink {
  /** one serialized stanza, header or footer per call (a WebSocket frame each) */
  write(xml: string): void;
  restart(): void;
  close(): void;
}

export interface XmlStreamTransport extends Transport {
  /** answers the client's own stream end with ours */
  footer(): void;
}

export function xmlStream(sink: XmlSink, framing: XmlFraming): XmlStreamTransport {
  return {
    open: (id, domain) => sink.write(framing.header(id, domain)),
    send(stanza) {
      framing.prepare?.(stanza);
      sink.write(stanza.toString());
    },
    end(condition, text) {
      // The prefix is declared on the element itself: a WebSocket frame is a document of its own (RFC 7395 §3.3.3).
      const err = el('stream:error', { 'xmlns:stream': NS.stream }, el(condition, { xmlns: NS.streams }));
      if (text) err.cnode(el('text', { xmlns: NS.streams }, text));
      sink.write(err.toString());
      sink.write(framing.footer);
    },
    footer: () => sink.write(framing.footer),
    restart: () => sink.restart(),
    close: () => sink.close(),
  };
}
