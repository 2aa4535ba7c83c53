// A Startalk protobuf client for tests, written from PROTOCOL.md §2 (not from the server code):
// varint32 framing, ProtoHeader options raw/gzip/TEA, the §2.3 handshake, and decoded frames.
import { constants, publicEncrypt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

// The schema table of §2.2 as a .proto file; the §2.1 worked example pins its field numbers.
const root = protobuf.loadSync(new URL('../../bridge/transports/pb/message.proto', import.meta.url).pathname);
export const T = (name: string) => root.lookupType(name);

/** §2.1 TEA, zero key, big-endian words, 8-byte blocks, tail in clear. */
export function tea(data: Uint8Array, decrypt = false): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i + 8 <= out.length; i += 8) {
    let y = out.readUInt32BE(i);
    let z = out.readUInt32BE(i + 4);
    let sum = decrypt ? 0xc6ef3720 : 0;
    for (let r = 0; r < 32; r++) {
      if (decrypt) {
        z = (z - (((y << 4) ^ (y + sum) ^ (y >>> 5)) >>> 0)) >>> 0;
        y = (y - (((z << 4) ^ (z + sum) ^ (z >>> 5)) >>> 0)) >>> 0;
        sum = (sum - 0x9e3779b9) >>> 0;
      } else {
        sum = (sum + 0x9e3779b9) >>> 0;
        y = (y + (((z << 4) ^ (z + sum) ^ (z >>> 5)) >>> 0)) >>> 0;
        z = (z + (((y << 4) ^ (y + sum) ^ (y >>> 5)) >>> 0)) >>> 0;
      }
    }
    out.writeUInt32BE(y, i);
    out.writeUInt32BE(z, i + 4);
  }
  return out;
}

export type Encoding = 'raw' | 'gzip' | 'tea' | 'auto';

export function frame(protoMessage: Uint8Array, encoding: Encoding = 'auto'): Buffer {
  const enc = encoding === 'auto' ? (protoMessage.length > 200 ? 'gzip' : 'tea') : encoding;
  const options = { raw: 0, gzip: 1, tea: 5 }[enc];
  const message = enc === 'gzip' ? gzipSync(protoMessage) : enc === 'tea' ? tea(protoMessage) : Buffer.from(protoMessage);
  const header = T('ProtoHeader').encode({ options, message }).finish();
  const len: number[] = [];
  for (let n = header.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from(len), header]);
}

const INNER: Record<number, string> = {
  1: 'PresenceMessage', 2: 'IQMessage', 4: 'ResponseSucceeded', 5: 'ResponseFailure', 45: 'AuthMessage',
  51: 'StreamEnd', 100: 'WelcomeMessage', 106: 'StartTLS', 108: 'ProceedTLS',
};
const innerType = (signal: number) => INNER[signal] ?? 'XmppMessage';

export interface Frame {
  options: number;
  signalType: number;
  pm: Record<string, any>;
  /** the decoded inner message, int64 as numbers */
  m: Record<string, any>;
}

export function protoMessage(signalType: number, inner: Record<string, unknown>, env: Record<string, string> = {}): Uint8Array {
  const type = T(innerType(signalType));
  const message = type.encode(type.fromObject(inner)).finish(); // fromObject: defaults for required fields left out
  return T('ProtoMessage').encode({ signalType, message, ...env }).finish();
}

/** Header value by definedKey number or text key. */
export function hv(body: { headers?: { key?: string; value?: string; definedKey?: number }[] } | undefined, k: string | number) {
  return body?.headers?.find((h) => (typeof k === 'number' ? h.definedKey === k : h.key === k))?.value;
}

export const rsaPassword = (json: object) => publicEncrypt(
  { key: readFileSync(new URL('../../src/startalk/keys/startalk-default-public.pem', import.meta.url)), padding: constants.RSA_PKCS1_PADDING },
  Buffer.from(JSON.stringify(json)),
).toString('base64');

export class PbClient {
  /** every frame received (unless keep is false: benchmarks) */
  readonly frames: Frame[] = [];
  keep = true;
  /** called for every frame, before waiters */
  onFrame?: (f: Frame) => void;
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ended = false;
  private buf: Buffer = Buffer.alloc(0);
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket, public encoding: Encoding = 'auto') {
    socket.on('data', (d: Buffer) => this.read(d));
    this.closed = new Promise((r) => socket.on('close', () => {
      this.ended = true;
      r();
    }));
    this.closed.then(() => setTimeout(() => this.waiters.splice(0).forEach((w) => w.resolve(undefined as never)), 20));
    socket.on('error', () => {});
  }

  static async connect(port: number, encoding: Encoding = 'auto'): Promise<PbClient> {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true); // as the apps do: small frames must not wait for Nagle
    await new Promise((r, j) => s.once('connect', r).once('error', j));
    return new PbClient(s, encoding);
  }

  private read(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      let len = 0;
      let i = 0;
      while (i < this.buf.length && this.buf[i]! & 0x80) len += (this.buf[i]! & 0x7f) * 2 ** (7 * i++);
      if (i >= this.buf.length) return;
      len += this.buf[i]! * 2 ** (7 * i);
      if (this.buf.length < i + 1 + len) return;
      const h = T('ProtoHeader').decode(this.buf.subarray(i + 1, i + 1 + len)) as any;
      this.buf = this.buf.subarray(i + 1 + len);
      const raw = h.options === 1 ? gunzipSync(h.message) : h.options === 5 ? tea(h.message, true) : h.message;
      // plain objects with int64 as numbers for tests; benchmarks (keep=false) skip the conversion
      const conv = <V>(type: protobuf.Type, v: protobuf.Message<{}>) => (this.keep ? type.toObject(v, { longs: Number }) : v) as V;
      const pm = conv<Record<string, any>>(T('ProtoMessage'), T('ProtoMessage').decode(raw));
      const it = T(innerType(pm.signalType));
      const f: Frame = { options: h.options ?? 0, signalType: pm.signalType, pm, m: conv(it, it.decode(pm.message ?? new Uint8Array())) };
      if (this.keep) this.frames.push(f);
      this.onFrame?.(f);
      for (const w of this.waiters.filter((x) => x.pred(f))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  }

  send(signalType: number, inner: Record<string, unknown>, env: Record<string, string> = {}, encoding = this.encoding): void {
    this.socket.write(frame(protoMessage(signalType, inner, env), encoding));
  }

  async waitFor(pred: (f: Frame) => boolean, ms = 5000): Promise<Frame> {
    const hit = this.frames.find(pred);
    if (hit) return hit;
    if (this.ended) throw new Error(`connection closed (have ${JSON.stringify(this.frames.map((f) => f.signalType))})`);
    let timer: NodeJS.Timeout | undefined;
    const f = await new Promise<Frame | undefined>((resolve) => {
      this.waiters.push({ pred, resolve });
      timer = setTimeout(() => resolve(undefined), ms);
    });
    clearTimeout(timer);
    if (!f) throw new Error(`timed out waiting for a frame (have ${JSON.stringify(this.frames.map((x) => x.signalType))})`);
    return f;
  }

  /** An IQ by key string, answered by messageId. */
  async iq(key: string | number, fields: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<Frame> {
    const messageId = randomUUID().replace(/-/g, '');
    const answer = this.waitFor((f) => f.signalType === 2 && f.m.messageId === messageId);
    this.send(2, { ...(typeof key === 'number' ? { definedKey: key } : { key }), messageId, ...fields }, env);
    return answer;
  }

  /** A chat-like message; resolves once sent (not acknowledged). */
  message(signalType: number, to: string, x: Record<string, unknown>): void {
    this.send(signalType, { messageType: 1, clientType: 4, clientVersion: 0, ...x }, { to });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface LoggedIn {
  c: PbClient;
  jid: string;
  key: string;
  timeValue: string;
  navversion: Frame;
}

/** §2.3: Welcome, Auth (SASL PLAIN in authKey), BIND; then, unless presence is false, priority 5. */
export async function pbLogin(port: number, user: string, password: string, o: { resource?: string; encoding?: Encoding; presence?: boolean; domain?: string; keep?: boolean } = {}): Promise<LoggedIn> {
  const c = await PbClient.connect(port, o.encoding);
  if (o.keep === false) c.keep = false;
  const domain = o.domain ?? 'localhost';
  const welcome = c.waitFor((f) => f.signalType === 100);
  c.send(100, { domain, version: '1.0', user });
  if ((await welcome).m.domain !== domain) throw new Error('bad welcome');
  const result = c.waitFor((f) => f.signalType === 4 || f.signalType === 5);
  c.send(45, { mechanism: 'PLAIN', msgId: 'auth-1', authKey: Buffer.from(`\0${user}\0${password}`).toString('base64') });
  const r = await result;
  if (r.signalType === 5) {
    c.close();
    throw new Error(`login failed: ${r.m.error}`);
  }
  const nav = c.waitFor((f) => f.signalType === 1 && f.m.definedKey === 7 && f.m.categoryType === 3);
  const bind = await c.iq('BIND', { value: o.resource ?? `V[1.0]_P[test]_ID[${randomUUID()}]` });
  const navversion = await nav;
  if (o.presence !== false) c.send(1, { key: 'priority', value: '5', definedKey: 1 });
  return { c, jid: bind.m.body.value, key: hv(bind.m.body, 54)!, timeValue: hv(bind.m.body, 52)!, navversion };
}
