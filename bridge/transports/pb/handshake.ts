// PROTOCOL.md §2.3 login on 5202: Welcome/Welcome, StartTLS/ProceedTLS, Auth (turned into the
// SASL PLAIN <auth> stanza the sasl module checks) and its Succeeded/Failure response, and the
// StreamEnd codes sessions end with. No stream restart follows the auth success.
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import { userJid } from '../../../src/startalk/address.js';
import { el, NS } from '../../xml.js';
import { PB, SIGNAL, type AuthMessage, type ProtoMessage, type WelcomeMessage } from './schema.js';

const enc = (t: { encode(m: object): { finish(): Uint8Array } }, m: object) => t.encode(m).finish();

/** The server's Welcome, or the StreamEnd Startalk answers a wrong host or version with. */
export function welcome(pm: ProtoMessage, domain: string, offerTls: boolean): { reply: ProtoMessage; user: string } | { end: ProtoMessage } {
  const w = PB.WelcomeMessage.decode(pm.message ?? new Uint8Array(0)) as unknown as WelcomeMessage;
  // COMPAT: Startalk's reasons, typos included
  if ((w.domain ?? '').toLowerCase() !== domain) return { end: streamEnd(222, 'host is not surport') };
  if (w.version !== '1.0') return { end: streamEnd(222, 'vresion is error') };
  const user = w.user ?? '';
  const jid = user ? userJid({ username: user, domain }) : domain;
  return {
    user,
    reply: {
      signalType: SIGNAL.welcome, from: jid, to: jid,
      message: enc(PB.WelcomeMessage, { domain, version: '1.0', user, sockmod: offerTls ? 'TLS' : '' }),
    },
  };
}

export function proceedTls(): ProtoMessage {
  return { signalType: SIGNAL.proceedTls, message: enc(PB.ProceedTLS, {}) };
}

/** Auth{mechanism, authKey = base64("\0user\0password")} -> <auth mechanism=…>authKey</auth>, and its msgId. */
export function authToStanza(pm: ProtoMessage): { stanza: Element; msgId: string } {
  const a = PB.AuthMessage.decode(pm.message ?? new Uint8Array(0)) as unknown as AuthMessage;
  // Startalk's server-made id when the client sends none
  const msgId = a.msgId || `PBMSG_${randomBytes(4).readUInt32BE()}${Math.floor(Date.now() / 1000)}`;
  return { msgId, stanza: el('auth', { xmlns: NS.sasl, mechanism: a.mechanism || 'PLAIN' }, a.authKey ?? '') };
}

/** <success/> / <failure><condition/></failure> -> Succeeded / Failure response. */
export function saslResult(s: Element, msgId: string): ProtoMessage | null {
  if (s.name === 'success') {
    // COMPAT: "login sucess" is Startalk's spelling
    return { signalType: SIGNAL.succeeded, message: enc(PB.ResponseSucceeded, { code: 0, msgId, info: '', body: { value: 'login sucess' } }) };
  }
  if (s.name === 'failure') {
    const condition = s.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'not-authorized';
    return { signalType: SIGNAL.failure, message: enc(PB.ResponseFailure, { code: 0, msgId, error: condition, body: { value: 'login failed' } }) };
  }
  return null;
}

/** StreamEnd{code, reason}: 1xx the client logs in again, 2xx it does not (PC ProtobufStack). */
export function streamEnd(code: number, reason: string): ProtoMessage {
  return { signalType: SIGNAL.streamEnd, message: enc(PB.StreamEnd, { code, reason }) };
}

/** XMPP stream-error conditions the session ends with -> Startalk's StreamEnd codes (§2.3). */
export function streamEndFor(condition: string, text?: string): ProtoMessage {
  switch (condition) {
    case 'conflict': return streamEnd(222, 'replaced'); // a new session took the resource
    case 'system-shutdown': return streamEnd(111, 'system shutdown');
    case 'reset': return streamEnd(201, 'kicked'); // the login behind the session was revoked
    case 'connection-timeout': return streamEnd(102, 'timeout');
    default: return streamEnd(222, text ?? condition);
  }
}
