// Core errors to stanza errors (RFC 6120 §8.3): the core's error registry decides the condition.
import type { Element } from 'ltx';
import { ERRORS, isAppError } from '../src/core/errors.js';
import type { Session } from './session.js';
import { stanzaError } from './xml.js';

/** The error reply to a stanza whose request failed; anything not in the registry is internal (and logged). */
export function errorReply(session: Session, stanza: Element, err: unknown): Element {
  if (!isAppError(err)) {
    session.ctx.log.warn({ err: (err as Error)?.message, stanza: stanza.name }, 'xmpp request failed');
    return stanzaError(stanza, 'wait', 'internal-server-error');
  }
  const { type, condition } = ERRORS[err.code].xmpp;
  return stanzaError(stanza, type, condition, err.message);
}
