// XEP-0313: Message Archive Management <https://xmpp.org/extensions/xep-0313.html> with
// XEP-0059 RSM paging, answered from the core's history: one conversation with `with`,
// else the user's whole 1:1 archive. Archive ids are the core's message ids.
import type { Element } from 'ltx';
import type { Message } from '../../src/core/messages/types.js';
import { localPart, userJid } from '../../src/startalk/address.js';
import { storedBody } from '../../src/startalk/body.js';
import type { Module } from '../router.js';
import type { Session } from '../session.js';
import { bare, el, forwarded, NS, result, stanzaError } from '../xml.js';

const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';
const MAX_PAGE = 100;

function field(query: Element, name: string): string | undefined {
  const x = query.getChild('x', 'jabber:x:data');
  return x?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
}

export function mam(): Module {
  return {
    features: [MAM, RSM],
    hooks: {
      [`iq-set/${MAM}:query`]: async (session, iq) => {
        const query = iq.getChild('query', MAM)!;
        const withJid = field(query, 'with');
        const set = query.getChild('set', RSM);
        const max = Math.min(Math.max(Number(set?.getChildText('max') ?? 50) || 50, 1), MAX_PAGE);
        const before = set?.getChild('before');
        const after = set?.getChildText('after') ?? undefined;
        const backward = before !== undefined;
        const beforeId = before?.getText() || undefined;
        for (const id of [after, beforeId]) {
          if (id !== undefined && !/^\d{1,19}$/.test(id)) {
            session.send(stanzaError(iq, 'cancel', 'item-not-found', 'unknown archive id'));
            return true;
          }
        }
        const { core } = session.ctx;
        try {
          const range = backward
            ? { beforeSeq: beforeId, limit: max, from: 'newest' as const }
            : { afterSeq: after, limit: max, from: 'oldest' as const };
          const page = withJid
            ? await core.messages.history(session.user!, (await core.messages.directWith(session.user!, localPart(bare(withJid)))).id, range)
            : await core.messages.archive(session.user!, range);
          const msgs = backward ? [...page.messages].reverse() : page.messages;
          for (const m of msgs) await sendResult(session, query.attrs.queryid, m);
          const rsm = el('set', { xmlns: RSM });
          if (msgs.length) rsm.cnode(el('first', { index: '0' }, msgs[0]!.seq)).up().cnode(el('last', {}, msgs[msgs.length - 1]!.seq));
          session.send(result(iq, el('fin', { xmlns: MAM, complete: page.hasMore ? undefined : 'true' }, rsm)));
        } catch (err) {
          session.send(stanzaError(iq, 'cancel', 'item-not-found', (err as Error).message));
        }
        return true;
      },
    },
  };
}

async function sendResult(session: Session, queryId: string | undefined, m: Message): Promise<void> {
  const { core, domain } = session.ctx;
  const from = await core.accounts.userById(m.senderId);
  const toId = await core.messages.recipientOf(m);
  const to = toId ? await core.accounts.userById(toId) : null;
  const inner = el('message', {
    xmlns: NS.client, type: 'chat', id: m.msgId, from: userJid({ username: from.username, domain }),
    to: to ? userJid({ username: to.username, domain }) : undefined, msec_times: m.createdAt,
  }, storedBody(m));
  session.send(el('message', { to: session.jid },
    el('result', { xmlns: MAM, queryid: queryId, id: m.seq },
      forwarded(inner, new Date(m.createdAt)))));
}
