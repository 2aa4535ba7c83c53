// PROTOCOL.md §2.4: one connection's PB <-> stanza shim (Startalk's server does the same:
// PB -> xmlel -> c2s). Inbound frames become the ltx Elements the XML transports produce;
// the stanzas modules send become ProtoMessages. Per connection: the IQ ids asked and the auth id.
import type { Element } from 'ltx';
import { INBOUND_TYPES, messageToStanza, stanzaToMessage } from './codec-message.js';
import { iqToStanza, stanzaToIq, type PendingIqs } from './codec-iq.js';
import { presenceToStanza, stanzaToPresence } from './codec-presence.js';
import { authToStanza, saslResult } from './handshake.js';
import { SIGNAL, type ProtoMessage } from './schema.js';

export class PbCodec {
  private readonly pendingIqs: PendingIqs = new Map();
  private authMsgId = '';

  constructor(private readonly domain: string) {}

  /** null: a signal the server silently drops (HeartBeat, MState, Carbon… from a client, §2.4). Throws on a body that does not parse. */
  inbound(pm: ProtoMessage): Element | null {
    if (pm.signalType === SIGNAL.auth) {
      const { stanza, msgId } = authToStanza(pm);
      this.authMsgId = msgId;
      return stanza;
    }
    if (pm.signalType === SIGNAL.iq) return iqToStanza(pm, this.pendingIqs, this.domain);
    if (pm.signalType === SIGNAL.presence) return presenceToStanza(pm);
    const type = INBOUND_TYPES[pm.signalType];
    return type ? messageToStanza(pm, type) : null;
  }

  /** null: a stanza with no PB form (XEP-0280 wrappers, MAM results, the XML time_key presence). */
  outbound(s: Element): ProtoMessage | null {
    switch (s.name) {
      case 'message': return stanzaToMessage(s);
      case 'iq': return stanzaToIq(s, this.pendingIqs);
      case 'presence': return stanzaToPresence(s);
      case 'success': case 'failure': return saslResult(s, this.authMsgId);
      default: return null;
    }
  }
}
