// The summary table (stdout) and its rows for the JSON file.
import type { ClosedLoopResult } from './load.js';
import type { MemoryResult } from './memory.js';
import type { RawResult } from './pg.js';
import type { LatencyResult, WithCpu } from './phases.js';

export interface Results {
  memory: MemoryResult;
  throughput: (ClosedLoopResult & WithCpu)[];
  best: number;
  latency: LatencyResult;
  raw: RawResult[];
  lateOrUnexpectedDeliveries: number;
  server: { hubGaps?: number; writer: { batches: number; jobs: number }; avgBatch: number };
  machine: { cpus: number; node: string };
  totalSeconds: number;
}

interface Row {
  metric: string;
  value: string;
  target?: string;
  met?: boolean;
}

const cpuText = (c: WithCpu['cpu']) =>
  c ? `server ${c.server}, postgres ${c.postgres}, bench clients ${c.bench}, other processes ${c.foreign} (should be ~0), idle ${c.idle}` : 'n/a';

const int = (x: number) => Math.round(x).toLocaleString('en-US');

export function printSummary(r: Results): { rows: Row[]; warnings: string[] } {
  const best = r.throughput.find((t) => t.concurrency === r.best)!;
  const singles = r.raw.filter((x) => x.rowsPerStatement === 1);
  const bestRaw = singles.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
  const ratio = best.deliveredPerSec / bestRaw.rowsPerSec;
  const mem = r.memory.perConnectionBytes;
  const checks = [...r.throughput.map((t) => [`closed loop c=${t.concurrency}`, t.check] as const), ['open loop', r.latency.check] as const];

  const rows: Row[] = [
    ...r.throughput.map((t) => ({
      metric: `send->deliver, closed loop, ${t.concurrency} in flight`,
      value: `${int(t.deliveredPerSec)} delivered/s (${int(t.persistedPerSec)} persisted/s, reply p50 ${t.ackLatencyMs.p50} ms p99 ${t.ackLatencyMs.p99} ms)`,
    })),
    ...r.throughput.map((t) => ({
      metric: `  CPU, % of one core, ${t.concurrency} in flight`,
      value: cpuText(t.cpu),
      met: t.cpu ? t.cpu.foreign < 20 : undefined,
    })),
    ...r.raw.map((x) => ({ metric: `raw PostgreSQL: ${x.label}`, value: `${int(x.rowsPerSec)} rows/s` })),
    ...singles.map((x) => ({
      metric: `ratio max send->deliver / ${x.label}`,
      value: `${(100 * (best.deliveredPerSec / x.rowsPerSec)).toFixed(0)}%`,
      ...(x === bestRaw ? { target: '>= 70%', met: ratio >= 0.7 } : {}),
    })),
    {
      metric: `latency send->deliver at ${int(r.latency.targetPerSec)}/s open loop`,
      value: `p50 ${r.latency.sendToDeliverMs.p50} ms, p99 ${r.latency.sendToDeliverMs.p99} ms, max ${r.latency.sendToDeliverMs.max} ms (n=${r.latency.sendToDeliverMs.n})`,
      target: 'p99 < 50 ms',
      met: r.latency.sendToDeliverMs.p99 < 50,
    },
    {
      metric: '  same, from scheduled send time',
      value: `p50 ${r.latency.scheduledToDeliverMs.p50} ms, p99 ${r.latency.scheduledToDeliverMs.p99} ms (achieved ${int(r.latency.achievedDeliveredPerSec)}/s)`,
    },
    {
      metric: '  messages over 50 ms / of them during a DB commit stall',
      value: `${r.latency.over50ms.count} / ${r.latency.over50ms.duringDbStall}` +
        ` (probe: commit p50 ${r.latency.dbCommitProbe.p50Ms} ms, p99 ${r.latency.dbCommitProbe.p99Ms} ms, max ${r.latency.dbCommitProbe.maxMs} ms)`,
    },
    { metric: '  CPU, % of one core, during the phase', value: cpuText(r.latency.cpu), met: r.latency.cpu ? r.latency.cpu.foreign < 20 : undefined },
    {
      metric: '  server event-loop delay during the phase',
      value: `p99 ${r.latency.serverEventLoopDelayMs?.p99} ms, max ${r.latency.serverEventLoopDelayMs?.max} ms (10 ms resolution)`,
    },
    {
      metric: `memory per idle subscribed WebSocket (${r.memory.connections} sockets)`,
      value: `${int(Math.max(mem.rss, mem.heapPlusExternal))} B (the larger of RSS ${int(mem.rss)} and V8 heap used+external ${int(mem.heapPlusExternal)}; heap committed ${int(mem.heapTotal)}; median of ${r.memory.points.length - 1} steps)`,
      target: '<= 20 KB',
      met: Math.max(mem.rss, mem.heapPlusExternal) <= 20 * 1024,
    },
    ...checks.map(([name, c]) => ({
      metric: `exactly-once, ${name}`,
      value: `${c.exactlyOnce ? 'OK' : 'FAILED'}: ${int(c.persisted)} persisted, ${int(c.delivered)} delivered, ` +
        `${c.missing} missing, ${c.duplicates} duplicate, ${c.unexpected} unexpected, ${c.failed} send errors`,
      met: c.exactlyOnce && c.failed === 0,
    })),
    { metric: 'deliveries late (after their phase) or unexpected', value: String(r.lateOrUnexpectedDeliveries), met: r.lateOrUnexpectedDeliveries === 0 },
    ...(r.server.hubGaps !== undefined
      ? [{ metric: 'event hub: frames given up on (gaps, whole run)', value: String(r.server.hubGaps), met: r.server.hubGaps === 0 }]
      : []),
    { metric: 'group commit: messages per transaction (avg, whole run)', value: r.server.avgBatch.toFixed(1) },
  ];

  const w0 = Math.max(...rows.map((x) => x.metric.length));
  const w1 = Math.max(...rows.map((x) => x.value.length));
  const line = '-'.repeat(w0 + w1 + 26);
  const out = [line, `${'metric'.padEnd(w0)} | ${'value'.padEnd(w1)} | target       | met`, line];
  for (const x of rows) {
    const met = x.met === undefined ? '' : x.met ? 'yes' : 'NO';
    out.push(`${x.metric.padEnd(w0)} | ${x.value.padEnd(w1)} | ${(x.target ?? '').padEnd(12)} | ${met}`);
  }
  const busy = [...r.throughput.map((t) => [`closed loop c=${t.concurrency}`, t.cpu] as const), ['open loop', r.latency.cpu] as const]
    .filter(([, c]) => c && c.foreign >= 20)
    .map(([name, c]) => `${name} ${c!.foreign}%`);
  const warnings = busy.length
    ? [`other processes on this machine used CPU during: ${busy.join(', ')} (of one core); those figures are skewed`]
    : [];
  for (const w of warnings) out.push(`WARNING: ${w}`);
  out.push(line, `${r.machine.cpus} CPUs, node ${r.machine.node}, run took ${r.totalSeconds.toFixed(0)} s; memory: ${r.memory.method}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  return { rows, warnings };
}
