// XEP-0199: XMPP Ping <https://xmpp.org/extensions/xep-0199.html>
import type { Module } from '../router.js';
import { NS, result } from '../xml.js';

export function ping(): Module {
  return {
    features: [NS.ping],
    hooks: {
      [`iq-get/${NS.ping}:ping`]: (session, iq) => {
        session.send(result(iq));
        return true;
      },
    },
  };
}
