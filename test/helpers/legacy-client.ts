// A scripted Startalk client for tests, written from ../shared/startalk/PROTOCOL.md: the
// XMPP socket login that yields the session key (§2.5, §3.3), the q_ckey cookie built
// exactly as the clients build it, and calls under both HTTP prefixes.
import { constants, createHash, publicEncrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const PUBLIC_KEY = readFileSync(new URL('../../src/startalk/keys/startalk-default-public.pem', import.meta.url));

/** base64(RSA_PKCS1v15(Startalk's public key, text)), as the clients encrypt. */
export function rsaEncrypt(text: string): string {
  return publicEncrypt({ key: PUBLIC_KEY, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(text)).toString('base64');
}

export interface SocketSession {
  key: string;
  jid: string;
  socket: Socket;
  /** everything received after the session key */
  received(): string;
  send(xml: string): void;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  close(): Promise<void>;
}

/** Logs in over XMPP/TCP like Startalk's PC client and returns the per-session key. */
export async function socketLogin(port: number, username: string, password: string, resource = 'V[1]_P[PC64]_ID[test]_PB'): Promise<SocketSession> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buf = '';
  socket.on('data', (d: string) => { buf += d; });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const waitFor = async (re: RegExp, ms = 5000) => {
    const until = Date.now() + ms;
    for (;;) {
      const m = buf.match(re);
      if (m) return m;
      if (Date.now() > until || socket.destroyed) throw new Error(`no ${re} in: ${buf.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const open = `<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
  socket.write(open);
  await waitFor(/<\/stream:features>/);
  const auth = Buffer.from(`\u0000${username}\u0000${password}`).toString('base64');
  buf = '';
  socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
  const outcome = await waitFor(/<(success|failure)[\s\S]*?(\/>|<\/failure>)/);
  if (outcome[1] !== 'success') {
    socket.destroy();
    throw new Error(`login refused: ${outcome[0]}`);
  }
  buf = '';
  socket.write(open);
  await waitFor(/<\/stream:features>/);
  socket.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const bound = await waitFor(/<jid>([^<]+)<\/jid>|<error[\s\S]*?<\/error>/);
  if (!bound[1]) {
    socket.destroy();
    throw new Error(`bind refused: ${bound[0]}`);
  }
  const jid = bound[1];
  socket.write(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
  const key = (await waitFor(/key_value=['"]([0-9A-Fa-f]+)['"]/))[1]!;
  buf = '';
  return {
    key, jid, socket, waitFor,
    received: () => buf,
    send: (xml) => void socket.write(xml),
    close: () => new Promise<void>((r) => {
      if (socket.destroyed) return r();
      socket.once('close', () => r());
      socket.end('</stream:stream>');
      setTimeout(() => socket.destroy(), 500);
    }),
  };
}

/** q_ckey = base64("u=<user>&k=UPPER(md5(KEY + t))&d=<domain>&t=<t>") (§3.3). */
export function qckey(user: string, key: string, domain = 'localhost', t: string = String(Date.now())): string {
  const k = createHash('md5').update(key + t).digest('hex').toUpperCase();
  return Buffer.from(`u=${user}&k=${k}&d=${domain}&t=${t}`).toString('base64');
}

export interface LegacyReply<T = any> {
  status: number;
  body: { ret: boolean; errcode: number; errmsg: string; data: T; [k: string]: unknown };
}

/** One legacy call: POST JSON (or GET when body is undefined), q_ckey as cookie or qcookie header. */
export async function legacyCall<T = any>(
  base: string, path: string, body?: unknown, ckey?: string, via: 'cookie' | 'qcookie' = 'cookie',
): Promise<LegacyReply<T>> {
  const headers: Record<string, string> = {};
  if (ckey) headers[via] = via === 'cookie' ? `q_ckey=${ckey}; other=1` : `q_ckey=${ckey};`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as LegacyReply<T>['body'] };
}
