// Limits of every long-lived transport, with real sockets: bytes the server holds for one
// connection (inside a stanza or frame, inside an unfinished tag or attribute, text between
// stanzas), the authentication and idle timeouts, the per-address connection limit shared by
// XMPP over TCP and WebSocket, Startalk's protobuf and graphql-ws, and graphql-ws's own limits.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDatabase, dropDatabase, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { PbClient } from './helpers/pb-client.js';
import { eventually } from './helpers/wait.js';

const HEADER = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');
const AUTH = (user: string) => `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(user, 'password-123')}</auth>`;
const MB = 1024 * 1024;

/** A raw XMPP-over-TCP connection: what the server wrote, and whether it closed. */
class RawXmpp {
  text = '';
  isClosed = false;
  readonly closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (this.text += d));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.on('close', () => r(void (this.isClosed = true))));
  }
  static async open(port: number): Promise<RawXmpp> {
    const s = connect(port, '127.0.0.1');
    await new Promise((r, j) => s.once('connect', r).once('error', j));
    return new RawXmpp(s);
  }
  /** writes in 64 KB pieces, stopping when the server closes */
  async write(data: string): Promise<void> {
    for (let at = 0; at < data.length && !this.isClosed; at += 65536) {
      if (!this.socket.write(data.slice(at, at + 65536))) {
        await new Promise((r) => {
          this.socket.once('drain', r);
          this.socket.once('close', r);
        });
      }
    }
  }
  async waitFor(re: RegExp, ms = 10_000): Promise<string> {
    await eventually(() => re.test(this.text), { timeoutMs: ms, what: () => `${re}; got ${this.text.slice(-300)}` });
    return this.text;
  }
  async login(user: string): Promise<void> {
    await this.write(HEADER + AUTH(user));
    await this.waitFor(/<success/);
    await this.write(HEADER);
    await this.waitFor(/<bind/);
  }
}

const closedWithin = (p: Promise<unknown>, ms = 10_000) =>
  Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

function wsOpen(url: string, protocol: string): Promise<WebSocket> {
  const ws = new WebSocket(url, protocol);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function wsClosed(ws: WebSocket): Promise<{ code: number; frames: string[] }> {
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(d.toString()));
  ws.on('error', () => {});
  return new Promise((r) => ws.once('close', (code) => r({ code, frames })));
}

let dbUrl: string;
let a: TestApp; // default limits (stanza rate off so bursts are measured on size only)
let xmppPort: number;
let pbPort: number;

beforeAll(async () => {
  dbUrl = await createDatabase();
  a = await startTestApp({ XMPP_STANZAS_PER_SEC: '0' }, dbUrl);
  xmppPort = a.app.bridgePort!;
  pbPort = a.app.pbPort!;
  await a.createUser('alice');
});

afterAll(async () => {
  await a?.close();
  if (dbUrl) await dropDatabase(dbUrl);
});

describe('bytes held for one connection (XMPP over TCP, before login)', () => {
  const policyViolation = /<policy-violation xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']\/>/;

  it('an attribute value that never ends: policy-violation, then close', async () => {
    const c = await RawXmpp.open(xmppPort);
    await c.write(`${HEADER}<message to='${'a'.repeat(MB)}`);
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.text).toMatch(policyViolation);
  });

  it('a tag name that never ends: policy-violation, then close', async () => {
    const c = await RawXmpp.open(xmppPort);
    await c.write(`${HEADER}<${'a'.repeat(MB)}`);
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.text).toMatch(policyViolation);
  });

  it('1 MB of text between stanzas: policy-violation, then close', async () => {
    const c = await RawXmpp.open(xmppPort);
    await c.write(`${HEADER}${'x'.repeat(MB)}`);
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.text).toMatch(policyViolation);
  });

  it('1 MB of text inside a stanza with no tag after it: policy-violation, then close', async () => {
    const c = await RawXmpp.open(xmppPort);
    await c.write(`${HEADER}<message><body>${'x'.repeat(MB)}`);
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.text).toMatch(policyViolation);
  });

  it('a stream header that never ends: policy-violation, then close', async () => {
    const c = await RawXmpp.open(xmppPort);
    await c.write(`<stream:stream to='${'a'.repeat(MB)}`);
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.text).toMatch(policyViolation);
  });

  it('many small stanzas in one write, far more bytes than the limit in all: every one is answered', async () => {
    const c = await RawXmpp.open(xmppPort);
    await c.login('alice');
    const n = 900; // ~200 KB in one write (the limit is 64 KB; at most 1000 stanzas may wait)
    const pad = 'x'.repeat(150);
    let burst = '';
    for (let i = 0; i < n; i++) burst += `<iq type='get' id='p${i}' pad='${pad}'><ping xmlns='urn:xmpp:ping'/></iq> `;
    expect(burst.length).toBeGreaterThan(2 * 65536);
    c.socket.write(burst);
    await c.waitFor(new RegExp(`id=["']p${n - 1}["']`));
    expect(c.text.match(/type=["']result["']/g)?.length).toBeGreaterThanOrEqual(n);
    expect(c.isClosed).toBe(false);
    c.socket.destroy();
  });
});

describe('bytes held for one connection (XMPP over WebSocket, protobuf)', () => {
  it('WebSocket: an element split across frames that never ends: policy-violation, then close', async () => {
    const ws = await wsOpen(a.url.replace(/^http/, 'ws').replace(/\/graphql$/, '/websocket'), 'xmpp');
    const done = wsClosed(ws);
    ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
    ws.send("<message to='");
    for (let i = 0; i < 32 && ws.readyState === ws.OPEN; i++) ws.send('a'.repeat(32 * 1024)); // each frame below maxPayload
    const r = await Promise.race([done, sleep(10_000).then(() => null)]);
    expect(r).not.toBeNull();
    expect(r!.frames.join('')).toMatch(/policy-violation/);
  });

  it('protobuf: a length prefix over the frame limit ends the stream before any byte of it is held', async () => {
    const c = await PbClient.connect(pbPort);
    c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0x7f])); // 2^28 - 1 bytes announced
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.frames.some((f) => f.signalType === 51)).toBe(true); // StreamEnd
  });

  it('protobuf: a length prefix of five varint bytes is corrupt: StreamEnd, then close', async () => {
    const c = await PbClient.connect(pbPort);
    c.socket.write(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(await closedWithin(c.closed)).toBe(true);
    expect(c.frames.some((f) => f.signalType === 51)).toBe(true);
  });
});

describe('graphql-ws limits', () => {
  it('a message over MAX_REQUEST_BYTES closes the socket (1009)', async () => {
    const ws = await wsOpen(a.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const done = wsClosed(ws);
    ws.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(300 * 1024) } }));
    expect((await done).code).toBe(1009);
  });
});

describe('time and connection limits', () => {
  let b: TestApp;
  let bx: number;
  let bpb: number;
  beforeAll(async () => {
    b = await startTestApp({
      AUTH_TIMEOUT_SECONDS: '1', IDLE_TIMEOUT_SECONDS: '1', MAX_CONNECTIONS_PER_IP: '3', GRAPHQL_WS_INIT_TIMEOUT_MS: '300',
      GRAPHQL_WS_PING_SECONDS: '1', TRUST_PROXY: 'loopback',
    }, dbUrl);
    bx = b.app.bridgePort!;
    bpb = b.app.pbPort!;
  });
  afterAll(async () => b?.close());
  const timeout = /<connection-timeout xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']\/>/;

  it('XMPP over TCP: a client that never authenticates is closed (connection-timeout), even while it trickles bytes', async () => {
    const c = await RawXmpp.open(bx);
    await c.write(HEADER);
    const drip = setInterval(() => !c.isClosed && c.socket.write(' '), 200);
    expect(await closedWithin(c.closed)).toBe(true);
    clearInterval(drip);
    expect(c.text).toMatch(timeout);
  });

  it('XMPP over WebSocket: a client that never authenticates is closed', async () => {
    const ws = await wsOpen(b.url.replace(/^http/, 'ws').replace(/\/graphql$/, '/websocket'), 'xmpp');
    const done = wsClosed(ws);
    ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
    const r = await Promise.race([done, sleep(10_000).then(() => null)]);
    expect(r).not.toBeNull();
    expect(r!.frames.join('')).toMatch(/connection-timeout/);
  });

  it('protobuf: a client that never sends Welcome, or drips a frame, is ended (StreamEnd 102) and closed', async () => {
    const idle = await PbClient.connect(bpb);
    const drip = await PbClient.connect(bpb);
    drip.socket.write(Buffer.from([0x80, 0x02])); // a 256-byte frame that never completes
    const timer = setInterval(() => !drip.ended && drip.socket.write(Buffer.from([0])), 200);
    expect(await closedWithin(idle.closed)).toBe(true);
    expect(await closedWithin(drip.closed)).toBe(true);
    clearInterval(timer);
    expect(idle.frames.find((f) => f.signalType === 51)?.m.code).toBe(102);
  });

  it('after login: idle is closed (connection-timeout), while whitespace pings keep another stream open', async () => {
    await b.createUser('bob');
    const idle = await RawXmpp.open(bx);
    const pinging = await RawXmpp.open(bx);
    await idle.login('bob');
    await pinging.login('bob');
    const keep = setInterval(() => pinging.socket.write(' '), 200);
    expect(await closedWithin(idle.closed)).toBe(true);
    expect(idle.text).toMatch(timeout);
    await sleep(1500); // past the idle limit for the pinging stream too
    clearInterval(keep);
    expect(pinging.isClosed).toBe(false);
    pinging.socket.write("<iq type='get' id='still'><ping xmlns='urn:xmpp:ping'/></iq>");
    await pinging.waitFor(/id=["']still["']/);
    pinging.socket.destroy();
  });

  it('graphql-ws: no connection_init in time closes with 4408', async () => {
    const ws = await wsOpen(b.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    expect((await wsClosed(ws)).code).toBe(4408);
  });

  it('graphql-ws: a peer that stops answering pings is cut; one that answers stays', async () => {
    const url = b.url.replace(/^http/, 'ws');
    const init = async (autoPong: boolean) => {
      const ws = new WebSocket(url, 'graphql-transport-ws', { autoPong });
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      const acked = new Promise((r) => ws.once('message', r));
      ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      await acked;
      return ws;
    };
    const deaf = await init(false);
    const live = await init(true);
    const deafClosed = wsClosed(deaf);
    expect(await Promise.race([deafClosed.then(() => true), sleep(10_000).then(() => false)])).toBe(true);
    expect(live.readyState).toBe(WebSocket.OPEN);
    live.terminate();
    await sleep(100); // the server counts the address's connections down
  });

  it('one address holds at most MAX_CONNECTIONS_PER_IP across XMPP TCP, XMPP WebSocket, protobuf and graphql-ws', async () => {
    const tcp = await RawXmpp.open(bx);
    const pb = await PbClient.connect(bpb);
    const wsx = await wsOpen(b.url.replace(/^http/, 'ws').replace(/\/graphql$/, '/websocket'), 'xmpp');
    await sleep(100);
    // the fourth, on any transport, is refused
    const gqlRefused = await new Promise<number>((r) => {
      const ws = new WebSocket(b.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0));
      ws.on('open', () => r(101));
      ws.on('error', () => {});
    });
    expect(gqlRefused).toBe(429);
    const tcp4 = await RawXmpp.open(bx);
    expect(await closedWithin(tcp4.closed)).toBe(true);
    expect(tcp4.text).toMatch(/policy-violation/);
    const pb4 = await PbClient.connect(bpb);
    expect(await closedWithin(pb4.closed)).toBe(true);
    expect(pb4.frames.some((f) => f.signalType === 51)).toBe(true);
    // a slot freed is a slot taken
    pb.close();
    await pb.closed;
    await sleep(100);
    const again = await RawXmpp.open(bx);
    await again.write(HEADER);
    await again.waitFor(/<stream:features/);
    expect(again.isClosed).toBe(false);
    for (const s of [tcp.socket, again.socket]) s.destroy();
    wsx.terminate();
  });

  it('behind a trusted proxy, WebSocket upgrades count per forwarded client address', async () => {
    const url = b.url.replace(/^http/, 'ws');
    const open = (client: string) => new Promise<{ status: number; ws: WebSocket }>((r) => {
      const ws = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': client } });
      ws.on('unexpected-response', (_req, res) => r({ status: res.statusCode ?? 0, ws }));
      ws.on('open', () => r({ status: 101, ws }));
      ws.on('error', () => {});
    });
    const first = await Promise.all([open('203.0.113.7'), open('203.0.113.7'), open('203.0.113.7')]);
    expect(first.map((x) => x.status)).toEqual([101, 101, 101]);
    expect((await open('203.0.113.7')).status).toBe(429);
    const other = await open('203.0.113.8');
    expect(other.status).toBe(101);
    for (const x of [...first, other]) x.ws.terminate();
  });
});
