// RFC 6120 XMPP over TCP: socket, parser, stream header and footer; everything else is
// the session's. STARTTLS is not offered yet (plain TCP is for loopback and tests; issue 5).
import { createServer, type Server, type Socket } from 'node:net';
import { Session, type BridgeContext } from '../session.js';
import { StreamParser } from '../stream/parser.js';
import { NS } from '../xml.js';

export interface TcpOptions {
  maxStanzaBytes: number;
  maxConnections: number;
  /** seconds without any byte before the stream is closed */
  idleSeconds: number;
}

export function createTcpTransport(ctx: BridgeContext, opts: TcpOptions): Server {
  const server = createServer((socket) => accept(socket, ctx, opts));
  server.maxConnections = opts.maxConnections;
  return server;
}

function accept(socket: Socket, ctx: BridgeContext, opts: TcpOptions): void {
  socket.setEncoding('utf8'); // split UTF-8 sequences are joined before the parser sees them
  socket.setNoDelay(true);
  socket.setTimeout(opts.idleSeconds * 1000, () => session.streamError('connection-timeout'));
  let parser: StreamParser;
  const session = new Session({
    write: (xml) => {
      if (!socket.destroyed) socket.write(xml);
    },
    restart: () => (parser = newParser()),
    header: (id, domain) =>
      `<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}' ` +
      `id='${id}' from='${domain}' version='1.0' xml:lang='en'>`,
    footer: () => '</stream:stream>',
    close: () => socket.end(),
  }, ctx);
  const newParser = () => {
    const p = new StreamParser(opts.maxStanzaBytes, 'tcp');
    p.on('open', () => session.open());
    p.on('stanza', (el) => {
      session.handle(el).catch((err) => {
        ctx.log.warn({ err: (err as Error).message }, 'xmpp stanza handler failed');
      });
    });
    p.on('close', () => {
      socket.write('</stream:stream>');
      session.close();
    });
    p.on('error', (condition, text) => {
      if (!session.closed && !socket.destroyed) {
        // a header first if the client never got one, so the error is well-formed (RFC 6120 §4.9.1.1)
        session.streamError(condition, text);
      }
    });
    return p;
  };
  parser = newParser();
  socket.on('data', (chunk: string) => parser.write(chunk));
  socket.on('close', () => session.close());
  socket.on('error', () => session.close());
}
