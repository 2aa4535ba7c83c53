// Who used the CPUs during a phase (Linux /proc): this process, the server child, the
// PostgreSQL processes serving the bench database (plus its shared background processes),
// and everything else ("foreign": other work on the machine, which skews the figures).
import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ: clock ticks per second on Linux

export interface CpuSample {
  at: number;
  busy: number; // whole machine, seconds
  self: number;
  server: number;
  /** CPU seconds of each PostgreSQL process serving the bench, by pid */
  pg: Map<string, number>;
}

export interface CpuUsage {
  /** percent of one core, averaged over the phase */
  bench: number;
  server: number;
  postgres: number;
  foreign: number;
  idle: number;
}

const readTicks = (pid: string) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.trim().split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime
};

export function cpuSample(serverPids: number[], dbName: string): CpuSample | null {
  try {
    const all = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = all[3]! + all[4]!; // idle + iowait
    const busy = (all.reduce((a, b) => a + b, 0) - idle) / TICK;
    const pg = new Map<string, number>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        continue;
      }
      // backends read "postgres: 15/main: user db host(port) state"; background processes name no db
      const m = /^postgres: [^:]+: (.*)$/.exec(cmd.trim());
      if (!m) continue;
      const words = m[1]!.split(' ');
      const isBackend = words.length >= 3 && /\(\d+\)$|\[local\]/.test(words[2] ?? '');
      if (!isBackend || words[1] === dbName) pg.set(pid, safe(() => readTicks(pid)));
    }
    const server = serverPids.reduce((a, p) => a + (p === process.pid ? 0 : safe(() => readTicks(String(p)))), 0);
    return { at: performance.now(), busy, self: readTicks(String(process.pid)), server, pg };
  } catch {
    return null; // not Linux
  }
}

function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return 0;
  }
}

export function cpuUsage(a: CpuSample | null, b: CpuSample | null, cores: number): CpuUsage | null {
  if (!a || !b) return null;
  const secs = (b.at - a.at) / 1000;
  const pct = (x: number) => Math.round((100 * x) / secs);
  const busy = b.busy - a.busy;
  // per process: one that started during the phase counts whole; one that ended is unknown
  // (its time falls under "foreign", an overestimate)
  let pg = 0;
  for (const [pid, t] of b.pg) pg += t - (a.pg.get(pid) ?? 0);
  const ours = b.self - a.self + (b.server - a.server) + pg;
  return {
    bench: pct(b.self - a.self),
    server: pct(b.server - a.server),
    postgres: pct(pg),
    foreign: Math.max(0, pct(busy - ours)),
    idle: Math.max(0, pct(cores * secs - busy)),
  };
}
