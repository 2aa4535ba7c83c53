// A minimal raw-socket XMPP client for load generation, the same for every server under
// test: RFC 6120 stream over TCP, SASL PLAIN (RFC 4616) without TLS, resource binding,
// the legacy session iq when offered, initial presence, then chat messages.
// It does not parse XML: it finds top-level element boundaries by counting tags (the
// servers here never put '<' or '>' inside attribute values of what they send us) and looks
// only at what the bench needs. A chat body is "<key>|padding"; a receiver reports the key.
import { connect, type Socket } from 'node:net';

export interface XmppTarget {
  host: string;
  port: number;
  domain: string;
}

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

const header = (domain: string) =>
  `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' ` +
  `xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

type Step = 'features' | 'auth' | 'features2' | 'bind' | 'session' | 'ready';

export class XmppLoadClient {
  /** called with the key of every chat message with a body that arrives */
  onChat: (key: string) => void = () => {};
  /** error stanzas received (a refused send shows up here) */
  errorStanzas = 0;
  closed = false;
  private buf = '';
  private pos = 0; // scan position in buf
  private start = -1; // start of the open top-level element, -1 when between elements
  private depth = 0;
  private step: Step = 'features';
  private sessionOffered = false;
  private settle?: { resolve: () => void; reject: (e: Error) => void };

  private constructor(private readonly socket: Socket, private readonly target: XmppTarget) {}

  /** Connects, authenticates, binds `resource` and sends initial presence. */
  static login(target: XmppTarget, user: string, password: string, resource = 'bench', timeoutMs = 30_000): Promise<XmppLoadClient> {
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const c = new XmppLoadClient(socket, target);
    return new Promise<XmppLoadClient>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`login of ${user} timed out at step ${c.step}`)), timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        c.close();
        reject(e);
      };
      c.settle = { resolve: () => (clearTimeout(timer), resolve(c)), reject: fail };
      c.auth = { user, password, resource };
      socket.on('connect', () => socket.write(header(target.domain)));
      socket.on('data', (chunk: string) => c.feed(chunk));
      socket.on('error', (e) => c.settle?.reject(e));
      socket.on('close', () => {
        c.closed = true;
        c.settle?.reject(new Error(`connection closed at step ${c.step}`));
      });
    });
  }

  private auth = { user: '', password: '', resource: '' };

  /** One chat message; `key` must not contain '|', '<' or '&'. */
  chat(to: string, key: string, padding: string): void {
    this.socket.write(`<message type='chat' to='${to}@${this.target.domain}' id='${key}'><body>${key}|${padding}</body></message>`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settle = undefined;
    this.socket.end('</stream:stream>');
    this.socket.destroySoon();
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    const b = this.buf;
    for (;;) {
      const lt = b.indexOf('<', this.pos);
      if (lt < 0) break;
      const gt = b.indexOf('>', lt);
      if (gt < 0) break;
      this.pos = gt + 1;
      const c1 = b.charCodeAt(lt + 1);
      if (c1 === 63 /* ? */ || c1 === 33 /* ! */) continue; // XML declaration, comment
      if (c1 === 47 /* / */) {
        if (this.depth === 0) {
          // </stream:stream>
          this.close();
          return;
        }
        if (--this.depth === 0) this.stanza(b.slice(this.start, this.pos));
        continue;
      }
      if (this.depth === 0 && b.startsWith('stream:stream', lt + 1)) continue; // stream header
      if (b.charCodeAt(gt - 1) === 47 /* / */) {
        if (this.depth === 0) this.stanza(b.slice(lt, this.pos));
        continue;
      }
      if (this.depth++ === 0) this.start = lt;
    }
    const keep = this.depth > 0 ? this.start : this.pos;
    this.buf = b.slice(keep);
    this.pos -= keep;
    if (this.depth > 0) this.start = 0;
  }

  private stanza(s: string): void {
    if (this.step === 'ready') {
      if (s.startsWith('<message')) {
        if (hasAttr(s, 'type', 'error')) {
          this.errorStanzas++;
          return;
        }
        if (!hasAttr(s, 'type', 'chat')) return; // receipts, acks, readmarks, ...
        const b = s.indexOf('<body');
        if (b < 0) return;
        const open = s.indexOf('>', b);
        if (s.charCodeAt(open - 1) === 47) return; // <body/>
        const bar = s.indexOf('|', open);
        if (bar > open) this.onChat(s.slice(open + 1, bar));
      } else if (s.startsWith('<iq') && hasAttr(s, 'type', 'error')) {
        this.errorStanzas++;
      }
      return;
    }
    this.loginStep(s);
  }

  private loginStep(s: string): void {
    const fail = (why: string) => this.settle?.reject(new Error(`${this.auth.user}: ${why}: ${s.slice(0, 300)}`));
    if (s.startsWith('<stream:error')) return fail('stream error');
    switch (this.step) {
      case 'features': {
        if (!s.startsWith('<stream:features')) return;
        if (!s.includes('>PLAIN<')) return fail('PLAIN not offered');
        const cred = Buffer.from(`\0${this.auth.user}\0${this.auth.password}`).toString('base64');
        this.socket.write(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${cred}</auth>`);
        this.step = 'auth';
        return;
      }
      case 'auth':
        if (s.startsWith('<success')) {
          this.step = 'features2';
          this.socket.write(header(this.target.domain)); // RFC 6120 §6.4.6: a fresh stream
        } else if (s.startsWith('<failure')) fail('authentication failed');
        return;
      case 'features2': {
        if (!s.startsWith('<stream:features')) return;
        // RFC 6121 (2011) dropped the session iq; old servers want it unless marked optional
        const i = s.indexOf('urn:ietf:params:xml:ns:xmpp-session');
        const end = i < 0 ? -1 : s.indexOf('</session>', i);
        this.sessionOffered = i >= 0 && !(end > 0 && s.slice(i, end).includes('<optional'));
        this.socket.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
          `<resource>${this.auth.resource}</resource></bind></iq>`);
        this.step = 'bind';
        return;
      }
      case 'bind':
      case 'session': {
        if (!s.startsWith('<iq')) return;
        if (!hasAttr(s, 'type', 'result')) return fail(`${this.step} refused`);
        if (this.step === 'bind' && this.sessionOffered) {
          this.socket.write(`<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
          this.step = 'session';
          return;
        }
        this.socket.write('<presence/>');
        this.step = 'ready';
        const settle = this.settle;
        this.settle = undefined;
        settle?.resolve();
        return;
      }
      default:
    }
  }
}

/** attr='value' or attr="value" inside the start tag of s */
function hasAttr(s: string, name: string, value: string): boolean {
  const end = s.indexOf('>');
  const tag = s.slice(0, end);
  return tag.includes(` ${name}='${value}'`) || tag.includes(` ${name}="${value}"`);
}
