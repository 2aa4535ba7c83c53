// RFC 7395 XMPP over WebSocket at /websocket (the path Startalk's web client uses): one
// stanza per frame, <open/> and <close/> instead of the stream header and footer.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { Session, type BridgeContext } from '../session.js';
import { StreamParser } from '../stream/parser.js';
import { ConnectionDeadline, type DeadlineOptions } from './deadline.js';
import { xmlStream } from './xml-stream.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const CLIENT = 'jabber:client';

export interface WebSocketOptions {
  maxStanzaBytes: number;
  maxConnections: number;
  deadline: DeadlineOptions;
}

/** What the HTTP front knows of the client: its address and whether its link is encrypted. */
export interface WebSocketLink {
  /** the client's address (behind a trusted proxy, the one the proxy forwarded) */
  address: string;
  /** TLS up to us or up to a trusted proxy (X-Forwarded-Proto: https) */
  secure: boolean;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export function createWebSocketTransport(ctx: BridgeContext, opts: WebSocketOptions) {
  const links = new WeakMap<IncomingMessage, WebSocketLink>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxStanzaBytes,
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  wss.on('connection', (ws, req: IncomingMessage) => {
    if (wss.clients.size > opts.maxConnections) return ws.close(1013, 'too many connections');
    let parser: StreamParser;
    const transport = xmlStream({
      write: (xml) => ws.readyState === ws.OPEN && ws.send(xml),
      restart: () => (parser = newParser()),
      close: () => ws.close(1000),
    }, {
      header: (id, domain) => `<open xmlns='${FRAMING}' id='${id}' from='${domain}' version='1.0' xml:lang='en'/>`,
      footer: `<close xmlns='${FRAMING}'/>`,
      // RFC 7395 §3.3.3: a frame is a document of its own, so each stanza names jabber:client.
      // COMPAT: Startalk's ejabberd_http_ws adds it to every stanza without an xmlns, and the web
      // SDK tells member presences apart by it (analysisPresece: case 'jabber:client').
      prepare: (stanza) => {
        if (!stanza.attrs.xmlns && !stanza.name.startsWith('stream:')) stanza.attrs.xmlns = CLIENT;
      },
    });
    // Behind a reverse proxy on the same machine every peer address is loopback: the front
    // says who the client is, so XMPP_PLAIN=loopback does not let every client send plain passwords.
    const link = links.get(req) ?? {
      address: req.socket.remoteAddress ?? '',
      secure: 'encrypted' in req.socket && !!(req.socket as { encrypted?: boolean }).encrypted,
    };
    // TLS is the HTTP front's job (wss://); a plain ws:// link counts as unencrypted
    const session = new Session(transport, ctx, { loopback: LOOPBACK.test(link.address), secure: link.secure });
    const deadline = new ConnectionDeadline(session, opts.deadline);
    const newParser = () => {
      const p = new StreamParser(opts.maxStanzaBytes, 'websocket');
      p.on('open', () => session.open());
      p.on('stanza', (el) => void session.handle(el).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'xmpp stanza handler failed')));
      p.on('close', () => {
        transport.footer();
        session.close();
      });
      p.on('error', (condition, text) => session.streamError(condition, text));
      return p;
    };
    parser = newParser();
    ws.on('ping', () => deadline.touch());
    ws.on('pong', () => deadline.touch());
    ws.on('message', (data, isBinary) => {
      deadline.touch();
      if (session.closed) return;
      if (isBinary) return session.streamError('unsupported-encoding', 'XMPP frames are text');
      parser.write(data.toString());
    });
    ws.on('close', () => session.close());
    ws.on('error', () => session.close());
  });
  return {
    wss,
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, link?: WebSocketLink) {
      if (link) links.set(req, link);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
  };
}
