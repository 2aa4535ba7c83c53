// PROTOCOL.md §2 Startalk's protobuf transport on port 5202: socket, frames, the Welcome and
// in-band StartTLS steps of §2.3; every other frame becomes a stanza for the session, and
// what the session sends goes back through the codec.
import { createServer, type Server, type Socket } from 'node:net';
import type { Element } from 'ltx';
import { TLSSocket, type SecureContext } from 'node:tls';
import { Session, type BridgeContext } from '../../session.js';
import { keyedBindResult, navVersionNotify } from './bind-result.js';
import { PbCodec } from './codec.js';
import { decodeFrame, encodeFrame, FrameReader } from './frame.js';
import { proceedTls, streamEndFor, welcome } from './handshake.js';
import { SIGNAL, type ProtoMessage } from './schema.js';
import type { ConnectionLimiter } from '../../../src/core/connection-limit.js';
import { batchedWriter } from '../batch.js';
import { ConnectionDeadline, type DeadlineOptions } from '../deadline.js';
import { endSocket } from '../tcp.js';

export interface PbOptions {
  /** the largest frame, and the largest ProtoMessage after gunzip */
  maxStanzaBytes: number;
  maxConnections: number;
  /** per client address, shared with the other transports */
  connections: ConnectionLimiter;
  /** auth and idle limits (StreamEnd 102 when one passes) */
  deadline: DeadlineOptions;
  /** sockmod "TLS" and StartTLS when set */
  tls?: SecureContext;
}

export function createPbTransport(ctx: BridgeContext, opts: PbOptions): Server {
  const server = createServer((socket) => accept(socket, ctx, opts));
  server.maxConnections = opts.maxConnections;
  return server;
}

function accept(raw: Socket, ctx: BridgeContext, opts: PbOptions): void {
  let socket: Socket = raw;
  raw.setNoDelay(true);
  const codec = new PbCodec(ctx.domain);
  // Frames written in one tick leave in one writev (cork until the next tick), as on XMPP/TCP.
  const out = batchedWriter(() => socket);
  const write = (pm: ProtoMessage) => out.write(encodeFrame(pm));
  const encode = (stanza: Element) => {
    const pm = codec.outbound(stanza);
    if (pm) write(pm);
  };
  const session: Session = new Session({
    open: () => {}, // COMPAT: the Welcome exchange (§2.3) stands for the stream header
    send: (stanza) => {
      const bound = keyedBindResult(stanza, session);
      encode(bound ?? stanza);
      if (bound) encode(navVersionNotify(session)); // §2.3 step 8
    },
    end: (condition, text) => write(streamEndFor(condition, text)),
    restart: () => {}, // COMPAT: no stream restart after the auth success (§2.3 step 5)
    close: () => endSocket(socket),
  }, ctx, { loopback: isLoopback(raw.remoteAddress), canStartTls: !!opts.tls });
  const deadline = new ConnectionDeadline(session, opts.deadline);
  let reader = new FrameReader(opts.maxStanzaBytes);
  let welcomed = false;
  let last: Promise<void> = Promise.resolve();
  const fail = (err: unknown) => session.streamError('not-well-formed', (err as Error).message);

  /** §2.3 steps 1–2: the client's Welcome first; a wrong host or version ends the stream. */
  const greet = (pm: ProtoMessage): boolean => {
    if (pm.signalType !== SIGNAL.welcome) {
      fail(new Error('Welcome expected'));
      return false;
    }
    const w = welcome(pm, ctx.domain, !!opts.tls);
    if ('end' in w) {
      write(w.end);
      session.close();
      return false;
    }
    write(w.reply);
    return (welcomed = true);
  };
  /** true: stop reading this chunk (the stream ended, or TLS takes the socket over) */
  const onFrame = (pm: ProtoMessage): boolean => {
    if (!welcomed) return !greet(pm);
    if (pm.signalType === SIGNAL.startTls) {
      startTls();
      return true;
    }
    if (pm.signalType === SIGNAL.streamEnd) {
      void last.then(() => session.close()); // the client's goodbye, after what it sent before
      return true;
    }
    let stanza: Element | null;
    try {
      stanza = codec.inbound(pm);
    } catch (err) {
      fail(err);
      return true;
    }
    // The session runs stanzas in arrival order and bounds how many wait (session.ts).
    if (stanza) last = session.handle(stanza).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'pb stanza handler failed'));
    return false;
  };
  const onData = (chunk: Buffer) => {
    deadline.touch();
    if (session.closed) return; // nothing more is read from a stream that ended
    try {
      for (const frame of reader.push(chunk)) if (onFrame(decodeFrame(frame, opts.maxStanzaBytes))) return;
    } catch (err) {
      fail(err); // a corrupt length, frame, gzip or signal ends this connection only
    }
  };
  const listen = (s: Socket) => {
    s.on('data', onData);
    s.on('close', () => session.close());
    s.on('error', () => session.close());
  };
  // §2.3 step 3: ProceedTLS in clear, then a TLS server handshake on the same socket.
  const startTls = () => {
    if (!opts.tls || session.secure || session.user) return session.streamError('policy-violation', 'StartTLS not possible now');
    write(proceedTls());
    out.flush(); // ProceedTLS must leave in clear before TLS takes the socket
    raw.removeAllListeners('data');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: opts.tls });
    socket = secure;
    session.secure = true;
    reader = new FrameReader(opts.maxStanzaBytes);
    listen(secure);
  };
  listen(raw);
  const release = opts.connections.acquire(raw.remoteAddress);
  if (!release) return session.streamError('policy-violation', 'too many connections from this address');
  session.onClose(release);
}

function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'));
}
