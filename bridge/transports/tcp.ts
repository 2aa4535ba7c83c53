// RFC 6120 XMPP over TCP: socket, parser, stream header and footer, and STARTTLS (§5)
// when a certificate is configured; everything else is the session's.
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { Session, type BridgeContext } from '../session.js';
import { StreamParser } from '../stream/parser.js';
import { el, NS } from '../xml.js';
import type { ConnectionLimiter } from '../../src/core/connection-limit.js';
import { batchedWriter } from './batch.js';
import { ConnectionDeadline, type DeadlineOptions } from './deadline.js';
import { xmlStream } from './xml-stream.js';

export interface TcpOptions {
  maxStanzaBytes: number;
  maxConnections: number;
  /** per client address, shared with the other transports */
  connections: ConnectionLimiter;
  deadline: DeadlineOptions;
  /** offered as STARTTLS when set */
  tls?: SecureContext;
}

export function createTcpTransport(ctx: BridgeContext, opts: TcpOptions): Server {
  const server = createServer((socket) => accept(socket, ctx, opts));
  server.maxConnections = opts.maxConnections;
  return server;
}

function accept(raw: Socket, ctx: BridgeContext, opts: TcpOptions): void {
  let socket: Socket = raw;
  raw.setNoDelay(true);
  let parser: StreamParser;
  // Stanzas written in one tick go out in one writev (cork until the next tick).
  const out = batchedWriter(() => socket);
  const transport = xmlStream({
    write: (xml) => out.write(xml),
    restart: () => (parser = newParser()),
    close: () => endSocket(socket),
  }, {
    header: (id, domain) =>
      `<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}' ` +
      `id='${id}' from='${domain}' version='1.0' xml:lang='en'>`,
    footer: '</stream:stream>',
  });
  const session = new Session(transport, ctx, { loopback: isLoopback(raw.remoteAddress), canStartTls: !!opts.tls });
  const deadline = new ConnectionDeadline(session, opts.deadline);
  const newParser = () => {
    const p = new StreamParser(opts.maxStanzaBytes, 'tcp');
    p.on('open', () => session.open());
    p.on('stanza', (stanza) => {
      if (stanza.name === 'starttls' && stanza.attrs.xmlns === NS.tls) return startTls();
      session.handle(stanza).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'xmpp stanza handler failed'));
    });
    p.on('close', () => {
      transport.footer();
      session.close();
    });
    p.on('error', (condition, text) => session.streamError(condition, text));
    return p;
  };
  const listen = (s: Socket) => {
    s.setEncoding('utf8'); // split UTF-8 sequences are joined before the parser sees them
    s.on('data', (chunk: string) => {
      deadline.touch();
      if (!session.closed) parser.write(chunk); // nothing more is parsed once the stream ended
    });
    s.on('close', () => session.close());
    s.on('error', () => session.close());
  };
  // RFC 6120 §5.4: <proceed/>, then TLS on the same socket and a fresh stream.
  const startTls = () => {
    if (!opts.tls || session.secure || session.user) return session.streamError('policy-violation', 'STARTTLS not possible now');
    session.send(el('proceed', { xmlns: NS.tls }));
    out.flush(); // <proceed/> must leave in clear before TLS takes the socket
    raw.removeAllListeners('data');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: opts.tls });
    socket = secure;
    session.secure = true;
    parser = newParser();
    listen(secure);
  };
  parser = newParser();
  listen(raw);
  const release = opts.connections.acquire(raw.remoteAddress);
  if (!release) return session.streamError('policy-violation', 'too many connections from this address');
  session.onClose(release);
}

/** Ends a socket and destroys it if the peer has not closed its side within a few seconds. */
export function endSocket(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), 5000).unref();
}

function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'));
}
