// Memory growth of one unauthenticated XMPP/TCP connection that never finishes a tag: it sends
// `<stream:stream …><message to='` and then N MB of 'a' with no closing quote. Prints the
// server's RSS and heap before and after, the peak RSS, and whether the server closed the
// stream (in-process server; run with --expose-gc for stable figures). The database gets the
// schema: give it one of its own.
//   DATABASE_URL=postgresql://…/stn_bench_flood node --expose-gc --import tsx bench/prelogin-flood.ts [MB]
import { connect } from 'node:net';
import { startServer } from './server.js';

const mb = Number(process.argv[2] ?? 16);
const { app, xmppPort } = await startServer({
  DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL, HOST: '127.0.0.1', PORT: '0',
  LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-pass-1', PB_PORT: 'off',
});
const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => {
  gc?.();
  const m = process.memoryUsage();
  return { rssMB: Math.round(m.rss / 1e6), heapMB: Math.round(m.heapUsed / 1e6), externalMB: Math.round(m.external / 1e6) };
};
const before = mem();
let peak = before.rssMB;
const sock = connect(xmppPort!, '127.0.0.1');
let received = '';
let closed = false;
sock.setEncoding('utf8');
sock.on('data', (d: string) => (received += d));
sock.on('close', () => (closed = true));
sock.on('error', () => {});
await new Promise((r) => sock.once('connect', r));
sock.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'><message to='");
const chunk = 'a'.repeat(64 * 1024);
for (let sent = 0; sent < mb * 1024 * 1024 && !closed; sent += chunk.length) {
  if (!sock.write(chunk)) await new Promise((r) => { sock.once('drain', r); sock.once('close', r); });
  peak = Math.max(peak, Math.round(process.memoryUsage().rss / 1e6));
}
await new Promise((r) => setTimeout(r, 500));
const after = mem();
console.log(JSON.stringify({
  mb, before, after, peakRssMB: peak, rssGrowthMB: after.rssMB - before.rssMB,
  connectionClosed: closed, streamError: /<stream:error[ >].*?<\/stream:error>/.exec(received)?.[0] ?? null,
}));
sock.destroy();
await app.close();
process.exit(0);
