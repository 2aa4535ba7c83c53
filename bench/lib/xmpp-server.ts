// What the XMPP comparison needs from each server under test (ours, ejabberd, Prosody),
// and the process helpers they share: free ports, waiting for a listener, RSS from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { XmppTarget } from './xmpp-load-client.js';

export interface XmppServer {
  name: 'startalk' | 'ejabberd' | 'prosody';
  /** name, version and how it is set up, for the report */
  label: string;
  /** whether and where each chat message is stored */
  persistence: string;
  target: XmppTarget;
  /** the processes whose RSS is the server's memory */
  pids(): number[];
  /**
   * Creates accounts with `password` and returns what each logs in with: the password, or
   * (ours, `fast`) a session token, so the idle-connection phase does not hash passwords.
   */
  createUsers(names: string[], password: string, fast: boolean): Promise<string[]>;
  /** a full garbage collection in the server, where it offers one */
  collectGarbage(): Promise<boolean>;
  /** messages the server has stored, where it can tell */
  storedMessages(): Promise<number | null>;
  stop(): Promise<void>;
}

export function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return null;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once something accepts TCP on the port; rejects at the deadline or when `child` exits. */
export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** PIDs whose command line contains every one of `parts`. */
export function pidsByCmdline(parts: string[]): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (parts.every((p) => cmd.includes(p))) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the pids to end; SIGKILLs what is left at the deadline. */
export async function reap(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const p of pids.filter(alive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Starts a command with its output appended to `logFile`. */
export function spawnLogged(cmd: string, args: string[], logFile: string, cwd?: string): ChildProcess {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs `fn` over 0..n-1 with at most `parallel` at a time. */
export async function pool<T>(n: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}
