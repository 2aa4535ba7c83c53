// Startalk's public web SDK, replayed with a real Strophe.js over /websocket: the same stanzas
// it sends (RSA JSON password, presence with caps, <body msgType maType id>, read marks 3 and 4
// with a body that has no id) and its message handler's parsing rules (helpers/startalk-parsers.ts),
// which throw where the SDK throws. Strophe drops a handler that throws: after that the SDK
// hears no message again. Regression: the server echoed the SDK's own read marks back to it
// with a <body> lacking msgType, which made the handler throw on the first mark.
import { parse, type Element } from 'ltx';
import { $msg, $pres, Strophe } from 'strophe.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';
import { legacyCall, qckey, rsaEncrypt } from './helpers/legacy-client.js';
import { historyItemLikeStartalkWebSdk, parseLikeStartalkWebSdk, presenceLikeStartalkWebSdk, type WebSdkMessage } from './helpers/startalk-parsers.js';

Strophe.setLogLevel(Strophe.LogLevel.WARN); // keep the "Removing Strophe handlers" warning, drop the chatter

let t: TestApp;
let peer: { token: string };
beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' });
  await t.createUser('wanda', 'wanda-password-1');
  peer = await t.createUser('piet');
});
afterAll(() => t?.close());

/** A Strophe connection set up the way the SDK sets it up, with its message and presence handlers. */
async function sdkLogin(user: string, password: string) {
  const url = t.url.replace(/^http/, 'ws').replace(/\/graphql$/, '/websocket');
  const conn = new Strophe.Connection(url);
  const me = `${user}@localhost`;
  const got: WebSdkMessage[] = [];
  const raw: Element[] = [];
  const thrown: Error[] = [];
  const events: { event: string; data?: Record<string, unknown> }[] = [];
  let key = '';
  /** the conversation the user has open (the SDK's currentSessionId), set by a history page */
  let open = '';
  const toLtx = (node: globalThis.Element) => parse(Strophe.serialize(node) as string) as Element;
  const handleMessage = (node: globalThis.Element) => {
    const stanza = toLtx(node);
    raw.push(stanza);
    let m: WebSdkMessage | null;
    try {
      m = parseLikeStartalkWebSdk(stanza, me, open);
    } catch (err) {
      thrown.push(err as Error);
      throw err; // as the SDK's handler does: Strophe removes it
    }
    if (!m) return true;
    got.push(m);
    // the SDK acknowledges what it receives: read_type 3, and 4 when the conversation is open
    for (const mark of m.marksToSend) {
      conn.send($msg({ type: 'readmark', read_type: mark.read_type, from: me, to: mark.to })
        .c('body', { msgType: 1, maType: 3 }).t(JSON.stringify(mark.ids.map((id) => ({ id })))).tree());
    }
    return true;
  };
  const handlePresence = (node: globalThis.Element) => {
    const p = presenceLikeStartalkWebSdk(toLtx(node));
    if (p) events.push(p);
    if (p?.event === 'ready') key = String(p.data!.key);
    return true;
  };
  const status = await new Promise<number>((resolve) => {
    // the SDK's password: base64(RSA(JSON {p, a:"testapp", u, d}))
    const pwd = rsaEncrypt(JSON.stringify({ p: password, a: 'testapp', u: user, d: '2026-12-08 01:00:00' }));
    conn.connect(me, pwd, (s: number) => {
      if (s === Strophe.Status.CONNECTED) {
        conn.addHandler(handleMessage, null, 'message');
        conn.addHandler(handlePresence, null, 'presence');
        conn.send($pres().c('priority', {}, '5').up()
          .c('c', { xmlns: 'http://jabber.org/protocol/caps', node: 'http://psi-im.org/caps', ver: 'caps-b75d8d2b25', ext: 'ca cs ep-notify-2 html' }).tree());
      }
      if (s === Strophe.Status.CONNECTED || s === Strophe.Status.AUTHFAIL || s === Strophe.Status.CONNFAIL) resolve(s);
    });
  });
  expect(status).toBe(Strophe.Status.CONNECTED);
  await eventually(() => key, { timeoutMs: 10_000, what: 'the session key' });
  expect(key).toMatch(/^[0-9A-Fa-f]+$/);
  const waitFor = (pred: (m: WebSdkMessage) => boolean, ms = 5000) => eventually(() => got.find(pred), {
    timeoutMs: ms, what: () => `such a message; the SDK's handler threw: ${thrown.map((e) => e.message).join('; ') || 'no'}`,
  });
  return {
    conn, got, raw, thrown, events, waitFor,
    get key() { return key; },
    openConversation: (jid: string) => (open = jid),
    send: (to: string, id: string, text: string) => conn.send($msg({ from: me, to, type: 'chat', isHiddenMsg: '0' })
      .c('body', { msgType: '1', maType: '3', id }).t(text).up()
      .c('active', { xmlns: 'http://jabber.org/protocol/chatstates' }).tree()),
    close: () => conn.disconnect('done'),
  };
}

it('logs in, sends, receives, sends read marks 3 and 4, and still receives afterwards', async () => {
  const sdk = await sdkLogin('wanda', 'wanda-password-1');
  const pSub = collect(t.ws(peer.token), `subscription { events { __typename
    ... on MessageAddedEvent { message { msgId body } } ... on MessageStateEvent { msgIds state } } }`);
  await sleep(200);
  // send: the peer gets it
  sdk.send('piet@localhost', 'sdk-out-1', 'hello from the web');
  await eventually(() => pSub.items.some((e) => e.events.message?.msgId === 'sdk-out-1'), { timeoutMs: 10_000, what: 'sdk-out-1 at the peer' });
  expect(pSub.items.find((e) => e.events.message?.msgId === 'sdk-out-1')?.events.message.body).toBe('hello from the web');

  // page history the SDK's way (getmsgs.qunar with q_ckey), which opens the conversation
  const base = t.url.replace(/\/graphql$/, '');
  const page = await legacyCall(base, '/package/qtapi/getmsgs.qunar', {
    from: 'wanda', to: 'piet', direction: '0', time: Date.now() / 1000, domain: 'localhost', num: 20, fhost: 'localhost', thost: 'localhost', f: 't',
  }, qckey('wanda', sdk.key));
  expect(page.body.ret).toBe(true);
  expect(page.body.data.map((m: { body: { id: string } }) => m.body.id)).toContain('sdk-out-1');
  for (const item of page.body.data) expect(() => historyItemLikeStartalkWebSdk(item)).not.toThrow();
  sdk.openConversation('piet@localhost');

  // receive: the SDK parses it and answers with read marks 3 and 4
  await t.ok('mutation { sendMessage(input:{to:"wanda", body:"read this", msgId:"sdk-in-1"}) { id } }', {}, peer.token);
  const first = await sdk.waitFor((m) => m.id === 'sdk-in-1');
  expect(first).toMatchObject({ type: 'chat', msgType: '1', isMe: false, content: 'read this' });
  expect(first.marksToSend.map((m) => m.read_type)).toEqual(['3', '4']);
  // the peer sees the message read: both marks reached the server and were applied
  await eventually(() => pSub.items.some((e) => e.events.state === 'READ' && e.events.msgIds.includes('sdk-in-1')), { timeoutMs: 10_000, what: 'sdk-in-1 READ at the peer' });
  expect(pSub.items.some((e) => e.events.state === 'READ' && e.events.msgIds.includes('sdk-in-1'))).toBe(true);

  // keep receiving: a message sent after the read marks still arrives and parses
  await t.ok('mutation { sendMessage(input:{to:"wanda", body:"still there?", msgId:"sdk-in-2"}) { id } }', {}, peer.token);
  expect(await sdk.waitFor((m) => m.id === 'sdk-in-2')).toMatchObject({ content: 'still there?', msgType: '1' });
  expect(sdk.thrown).toEqual([]);
  // the session that sent the marks got none of them back
  expect(sdk.raw.filter((s) => s.attrs.type === 'readmark')).toEqual([]);
  pSub.stop();
  sdk.close();
});

it('tells group presences apart by their namespace, as the SDK does on WebSocket', async () => {
  const sdk = await sdkLogin('wanda', 'wanda-password-1');
  const g = await t.ok('mutation { createGroup(input:{name:"Web group", members:["wanda"]}) { id card { roomName } } }', {}, peer.token);
  const room = `${g.createGroup.card.roomName}@conference.localhost`;
  await eventually(() => sdk.events.some((e) => e.event === 'group_change_role'), { timeoutMs: 10_000, what: 'group_change_role' });
  // COMPAT: member presences carry xmlns="jabber:client" on every frame (Startalk's ejabberd_http_ws adds it)
  expect(sdk.events).toContainEqual({ event: 'group_change_role', data: { from: 'wanda@localhost', role: 'member' } });
  expect(sdk.events).toContainEqual({ event: 'group_invite', data: { user: 'wanda@localhost' } });
  await t.ok('mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"to the web", msgId:"sdk-g-1"}) { id } }', { g: g.createGroup.id }, peer.token);
  expect(await sdk.waitFor((m) => m.id === 'sdk-g-1')).toMatchObject({ type: 'groupchat', sendjid: 'piet@localhost', isMe: false, msgType: '1' });
  expect(sdk.raw.find((s) => s.attrs.type === 'groupchat')?.attrs.from).toMatch(new RegExp(`^${room}/`));
  expect(sdk.thrown).toEqual([]);
  sdk.close();
});
