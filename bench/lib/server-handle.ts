// One interface over the server under test, whether it runs in a child process (default:
// its own event loop and heap, so client load and client memory are not counted against it)
// or in this process (BENCH_SERVER=inproc).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../server.js';

export interface ServerHandle {
  mode: 'child' | 'inproc';
  url: string;
  /** the XMPP TCP and Startalk protobuf ports (null when off) */
  xmppPort: number | null;
  pbPort: number | null;
  pid: number;
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

const SERVER_TS = fileURLToPath(new URL('../server.ts', import.meta.url));

export async function startChild(env: Record<string, string>): Promise<ServerHandle> {
  const child: ChildProcess = fork(SERVER_TS, [], {
    // BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. --cpu-prof for a profile
    execArgv: ['--import', new URL('../../scripts/register-ts.mjs', import.meta.url).href, '--expose-gc', ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const { url, xmppPort, pbPort } = await new Promise<{ url: string; xmppPort: number | null; pbPort: number | null }>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench server exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', (m: { ready?: boolean; url?: string; xmppPort?: number | null; pbPort?: number | null; id?: number; result?: unknown; error?: string }) => {
      if (m.ready) {
        child.off('exit', onExit);
        return resolve({ url: m.url!, xmppPort: m.xmppPort ?? null, pbPort: m.pbPort ?? null });
      }
      const p = pending.get(m.id!);
      pending.delete(m.id!);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
  });
  let closing = false;
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  child.on('exit', (code, signal) => {
    if (!closing) process.stderr.write(`[bench] the server child exited unexpectedly (code ${code}, signal ${signal})\n`);
    failAll(new Error(`bench server exited with ${code ?? signal}`));
  });
  child.on('error', (err) => failAll(err)); // e.g. EPIPE on send after the child died
  const call = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) return reject(new Error('bench server is not running'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, type }, (err) => err && reject(err));
    });
  return {
    mode: 'child',
    url,
    xmppPort,
    pbPort,
    pid: child.pid!,
    snapshot: () => call<Snapshot>('snapshot'),
    async close() {
      closing = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      await Promise.race([call('close').catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function startInProcess(env: Record<string, string>): Promise<ServerHandle> {
  const { startServer, snapshot } = await import('../server.js');
  const { app, url, xmppPort } = await startServer(env);
  return { mode: 'inproc', url, xmppPort, pbPort: app.pbPort, pid: process.pid, snapshot: () => snapshot(app), close: () => app.close() };
}
