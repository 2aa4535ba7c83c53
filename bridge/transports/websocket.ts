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

export function createWebSocketTransport(ctx: BridgeContext, opts: WebSocketOptions) {
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
    const session = new Session(transport, ctx, {
      loopback: /^(127\.|::1$|::ffff:127\.)/.test(req.socket.remoteAddress ?? ''),
      // TLS is the HTTP front's job (wss://); a plain ws:// link counts as unencrypted
      secure: 'encrypted' in req.socket && !!(req.socket as { encrypted?: boolean }).encrypted,
    });
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
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
  };
}
