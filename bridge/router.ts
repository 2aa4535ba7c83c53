// Routes stanzas to module handlers by name (Prosody stanza_router): 'iq-get/<ns>:<child>',
// 'iq-set/<ns>:<child>', 'message/<type>', 'presence', and 'auth' for SASL. The first handler
// that returns true claims the stanza; an unclaimed IQ gets service-unavailable.
import type { Element } from 'ltx';
import type { Session } from './session.js';
import { NS, stanzaError } from './xml.js';

export type Handler = (session: Session, stanza: Element) => boolean | Promise<boolean>;

export interface Module {
  /** event name -> handler */
  hooks: Record<string, Handler>;
  /** XEP-0030 features this module serves; disco.ts lists those of the registered modules */
  features?: string[];
}

export class Router {
  private readonly hooks = new Map<string, Handler[]>();

  use(module: Module): void {
    for (const [name, h] of Object.entries(module.hooks)) {
      const list = this.hooks.get(name) ?? [];
      list.push(h);
      this.hooks.set(name, list);
    }
  }

  async route(session: Session, stanza: Element): Promise<void> {
    if (session.limiter.take() > 0) {
      // A flood is answered, not processed; a client that keeps flooding loses its stream.
      if (session.refusals.take() > 0) return session.streamError('policy-violation', 'too many stanzas');
      if (stanza.name !== 'presence') session.send(stanzaError(stanza, 'wait', 'resource-constraint', 'slow down'));
      return;
    }
    const name = eventName(stanza);
    if (!session.user && !name.startsWith('sasl/')) {
      return session.streamError('not-authorized', 'authenticate first');
    }
    for (const h of this.hooks.get(name) ?? []) if (await h(session, stanza)) return;
    if (stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set')) {
      session.send(stanzaError(stanza, 'cancel', 'service-unavailable'));
    }
  }
}

function eventName(stanza: Element): string {
  if (stanza.attrs.xmlns === NS.sasl) return `sasl/${stanza.name}`;
  if (stanza.name === 'iq') {
    const child = stanza.children.find((c): c is Element => typeof c !== 'string');
    return `iq-${stanza.attrs.type}/${child?.attrs.xmlns}:${child?.name}`;
  }
  if (stanza.name === 'message') return `message/${stanza.attrs.type ?? 'normal'}`;
  return stanza.name;
}
