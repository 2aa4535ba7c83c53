// What a session did itself and must not hear back (COMPAT: Startalk's carbons skip the
// sending resource, qtalk_c2s:do_carbon_message; ../shared/startalk/PROTOCOL.md §4.2):
// the read marks and revokes it sent. The core's events name the user, not the session,
// so the session notes its own before calling the core and crosses them off on delivery.
import type { DeliveryStateValue } from '../src/core/messages/types.js';
import type { Session } from './session.js';

/** a session that never sees its events back (a stalled subscription) keeps at most this many */
const MAX_NOTED = 10_000;

const markKey = (state: DeliveryStateValue, msgId: string) => `${state}:${msgId}`;

function note(set: Set<string>, keys: string[]): void {
  if (set.size + keys.length > MAX_NOTED) set.clear();
  for (const k of keys) set.add(k);
}

/** Before the core marks msgIds: this session's own marks. */
export function noteMarks(session: Session, state: DeliveryStateValue, msgIds: string[]): void {
  note(session.marksHere, msgIds.map((id) => markKey(state, id)));
}

/** After the core answered: ids it did not change raise no event, so they are forgotten now. */
export function settleMarks(session: Session, state: DeliveryStateValue, msgIds: string[], changed: readonly string[] = []): void {
  const kept = new Set(changed);
  for (const id of msgIds) if (!kept.has(id)) session.marksHere.delete(markKey(state, id));
}

/** On delivery: the ids of a state change that this session did not mark itself (crossing off those it did). */
export function marksFromElsewhere(session: Session, state: DeliveryStateValue, msgIds: readonly string[]): string[] {
  return msgIds.filter((id) => !session.marksHere.delete(markKey(state, id)));
}

export function noteRevoke(session: Session, msgId: string): void {
  note(session.revokesHere, [msgId]);
}

/** true once for a revoke this session sent itself */
export function revokedHere(session: Session, msgId: string): boolean {
  return session.revokesHere.delete(msgId);
}
