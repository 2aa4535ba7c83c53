// The comparison table (stdout) and its rows for bench/last-xmpp.json: each figure per
// server, ours as a ratio to ejabberd's and Prosody's, and the targets.
import type { CpuUsage } from './cpu.js';
import type { IdleMemory, LoadResult } from './xmpp-phases.js';
import type { XmppServer } from './xmpp-server.js';

export interface ServerResult {
  name: XmppServer['name'];
  label: string;
  persistence: string;
  memory: IdleMemory;
  login: { clients: number; parallel: number; seconds: number; perSec: number };
  rounds: LoadResult[];
  /** median delivered/s over the closed-loop rounds */
  maxPerSec: number;
  latency: LoadResult;
  exactlyOnce: { ok: boolean; sent: number; delivered: number; missing: number; duplicates: number; unexpected: number };
  errorStanzas: number;
  stray: number;
  stored: number | null;
}

interface Row {
  metric: string;
  values: Partial<Record<XmppServer['name'], string>>;
  vsEjabberd?: string;
  vsProsody?: string;
  target?: string;
  met?: boolean;
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a / b) ? undefined : `${(a / b).toFixed(2)}x`;
const cpuText = (c: CpuUsage | null) => (c ? `srv ${c.server}% db ${c.postgres}% bench ${c.bench}% other ${c.foreign}%` : 'n/a');

export function buildRows(results: ServerResult[]): Row[] {
  const by = (n: XmppServer['name']) => results.find((r) => r.name === n);
  const ours = by('startalk'), ej = by('ejabberd'), pr = by('prosody');
  const row = (metric: string, f: (r: ServerResult) => number, fmt: (x: number) => string, extra: Partial<Row> = {}): Row => {
    const values: Row['values'] = {};
    for (const r of results) values[r.name] = fmt(f(r));
    return {
      metric, values,
      vsEjabberd: ours && ej ? ratio(f(ours), f(ej)) : undefined,
      vsProsody: ours && pr ? ratio(f(ours), f(pr)) : undefined,
      ...extra,
    };
  };
  const text = (metric: string, f: (r: ServerResult) => string, extra: Partial<Row> = {}): Row => {
    const values: Row['values'] = {};
    for (const r of results) values[r.name] = f(r);
    return { metric, values, ...extra };
  };
  const rate = results[0]?.latency.targetPerSec ?? 0;
  const login = results[0]?.login;
  const mem = results[0]?.memory;
  const p99 = (r: ServerResult) => r.latency.sendToDeliverMs.p99;
  return [
    row(`logins/s (${login?.clients} clients, ${login?.parallel} at a time, SASL PLAIN + bind + presence)`, (r) => r.login.perSec, int),
    row('logins/s, idle-connection phase (ours: session token as password)', (r) => r.memory.loginsPerSec, int),
    row('messages/s delivered, closed loop (median of rounds)', (r) => r.maxPerSec, int,
      ej && ours ? { target: '>= 1.2x ejabberd', met: ours.maxPerSec >= 1.2 * ej.maxPerSec } : {}),
    text('  each round, delivered/s', (r) => r.rounds.map((x) => int(x.deliveredPerSec)).join(' / ')),
    text('  CPU % of one core, last round', (r) => cpuText(r.rounds[r.rounds.length - 1]?.cpu ?? null)),
    row(`latency p50 send->deliver at ${int(rate)}/s open loop, ms`, (r) => r.latency.sendToDeliverMs.p50, (x) => x.toFixed(2)),
    row(`latency p99 send->deliver at ${int(rate)}/s open loop, ms`, p99, (x) => x.toFixed(2),
      ej && ours ? { target: '<= ejabberd', met: p99(ours) <= p99(ej) } : {}),
    row('  p99 from the scheduled send time, ms', (r) => r.latency.scheduledToDeliverMs?.p99 ?? NaN, (x) => x.toFixed(2)),
    row('  achieved delivered/s in the open loop', (r) => r.latency.deliveredPerSec, int),
    text('  CPU % of one core, open loop', (r) => cpuText(r.latency.cpu)),
    row(`server RSS per idle connection, KB (${mem ? int(mem.connections) : '?'} connections, least-squares slope)`,
      (r) => r.memory.perConnectionBytes / 1024, (x) => x.toFixed(1),
      ours ? { target: '<= 10 KB', met: ours.memory.perConnectionBytes <= 10 * 1024 } : {}),
    row('  same, first to last sample, KB', (r) => r.memory.deltaPerConnectionBytes / 1024, (x) => x.toFixed(1)),
    text('  RSS before idle connections, MB', (r) => (r.memory.points[0]!.rss / 2 ** 20).toFixed(1) + (r.memory.forcedGc ? ' (after forced GC)' : '')),
    text('exactly once, every phase', (r) => `${r.exactlyOnce.ok ? 'OK' : 'FAILED'} ${int(r.exactlyOnce.delivered)}/${int(r.exactlyOnce.sent)}` +
      (r.exactlyOnce.ok ? '' : ` (missing ${r.exactlyOnce.missing}, dup ${r.exactlyOnce.duplicates}, unexpected ${r.exactlyOnce.unexpected})`),
    { met: results.every((r) => r.exactlyOnce.ok) }),
    text('error stanzas / deliveries outside any phase', (r) => `${r.errorStanzas} / ${r.stray}`),
    text('messages persisted', (r) => (r.stored === null ? 'none (no archive)' : `${int(r.stored)} rows`),
      ours ? { met: ours.stored === ours.exactlyOnce.sent } : {}),
  ];
}

export function printTable(rows: Row[], results: ServerResult[]): string {
  const names = results.map((r) => r.name);
  const head = ['metric', ...names, 'ours/ejabberd', 'ours/prosody', 'target', 'met'];
  const lines = rows.map((x) => [
    x.metric, ...names.map((n) => x.values[n] ?? ''), x.vsEjabberd ?? '', x.vsProsody ?? '', x.target ?? '',
    x.met === undefined ? '' : x.met ? 'yes' : 'NOT met',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  const sep = '-'.repeat(widths.reduce((a, b) => a + b + 3, 0));
  const out = [sep, fmt(head), sep, ...lines.map(fmt), sep];
  for (const r of results) out.push(`${r.name}: ${r.label}; persisted: ${r.persistence}`);
  out.push('ratios: ours / theirs (for latency and memory, lower is better)');
  return out.join('\n');
}
