# An independent XMPP client (slixmpp, from Debian's python3-slixmpp) for the bridge tests:
# logs in, sends initial presence and one chat message, prints each chat message it gets
# as a JSON line, and leaves after the first one.
import asyncio
import json
import sys

import slixmpp


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, to, body):
        super().__init__(jid, password)
        self.to, self.body = to, body
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('failed_auth', lambda _e: (print(json.dumps({'error': 'auth'}), flush=True), self.disconnect()))

    async def start(self, _event):
        self.send_presence()
        print(json.dumps({'ready': True, 'jid': str(self.boundjid)}), flush=True)
        self.send_message(mto=self.to, mbody=self.body, mtype='chat')

    def on_message(self, msg):
        if msg['type'] == 'chat' and msg['body']:
            print(json.dumps({'got': msg['body'], 'from': str(msg['from'])}), flush=True)
            self.disconnect()


def main():
    port, jid, password, to, body = sys.argv[1:6]
    c = Client(jid, password, to, body)
    c['feature_mechanisms'].unencrypted_plain = True  # loopback test server without TLS
    c.connect(('127.0.0.1', int(port)), disable_starttls=True)
    loop = asyncio.get_event_loop()
    loop.run_until_complete(asyncio.wait_for(c.disconnected, timeout=20))


if __name__ == '__main__':
    main()
