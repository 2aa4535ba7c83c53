// Startalk read marks, <message type="readmark" read_type=N> (../shared/startalk/PROTOCOL.md §4.3),
// and XEP-0184 delivery receipts <https://xmpp.org/extensions/xep-0184.html>, onto the core's read state.
import type { Session } from '../session.js';
import type { Module } from '../router.js';
import { noteMarks, settleMarks } from '../echo.js';
import { conference } from '../muc.js';
import { bare } from '../xml.js';
import { localPart } from '../../src/startalk/address.js';

const RECEIPTS = 'urn:xmpp:receipts';

/**
 * read_type 2, sent to oneself: [{"id":<room>,"domain":"conference.<d>","t":<ms>}] moves the
 * group read pointer of each room to its newest message at or before t.
 */
async function groupReadmark(session: Session, body: unknown): Promise<void> {
  if (!Array.isArray(body)) return;
  const { core } = session.ctx;
  for (const mark of body.slice(0, 100) as { id?: unknown; domain?: unknown; t?: unknown }[]) {
    if (typeof mark?.id !== 'string' || (mark.domain !== undefined && mark.domain !== conference(session))) continue;
    let t = Number(mark.t);
    if (!Number.isFinite(t)) continue;
    if (t < 1.8e9) t *= 1000; // COMPAT: Startalk takes t below 1.8e9 as seconds
    const groupId = await core.groups.idByRoomName(mark.id);
    if (groupId) await core.messages.markGroupReadAt(session.user!, groupId, t).catch(() => {});
  }
}

export function readmark(): Module {
  return {
    features: [RECEIPTS],
    hooks: {
      'message/readmark': async (session, stanza) => {
        const { core } = session.ctx;
        const readType = stanza.attrs.read_type;
        const text = stanza.getChildText('body') ?? '';
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return true; // COMPAT: Startalk ignores marks it cannot parse
        }
        if (readType === '0') {
          // everything up to T (ms; "T" or "t") is read
          const t = Number((body as { T?: unknown; t?: unknown })?.T ?? (body as { t?: unknown })?.t);
          if (Number.isFinite(t)) await core.messages.markAllRead(session.user!, t).catch(() => {});
          return true;
        }
        if (readType === '2') {
          await groupReadmark(session, body);
          return true;
        }
        const state = readType === '3' ? 1 : readType === '4' || readType === '1' ? 3 : null;
        if (state === null || !Array.isArray(body) || !stanza.attrs.to) return true; // 7: relay only
        const ids = body.map((x) => (x as { id?: unknown })?.id).filter((x): x is string => typeof x === 'string').slice(0, 500);
        const peer = localPart(bare(stanza.attrs.to));
        if (!ids.length) return true;
        // the copy of this mark goes to the user's other sessions, never back here (echo.ts)
        noteMarks(session, state, ids);
        const ev = await core.messages.markByMsgIds(session.user!, peer, ids, state).catch(() => null);
        settleMarks(session, state, ids, ev?.msgIds);
        return true;
      },
      // XEP-0184: <received id=…/> from the recipient marks the message delivered
      'message/chat': async (session, stanza) => {
        const received = stanza.getChild('received', RECEIPTS);
        if (!received?.attrs.id || !stanza.attrs.to || stanza.getChild('body')) return false;
        const peer = localPart(bare(stanza.attrs.to));
        noteMarks(session, 1, [received.attrs.id]);
        const ev = await session.ctx.core.messages.markByMsgIds(session.user!, peer, [received.attrs.id], 1).catch(() => null);
        settleMarks(session, 1, [received.attrs.id], ev?.msgIds);
        return true;
      },
    },
  };
}
