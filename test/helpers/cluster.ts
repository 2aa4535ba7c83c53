// Real processes for multi-node tests: server nodes started as `npm start` does (the
// production loader) and a private redis-server that a test may kill and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  await eventually(check, { timeoutMs, intervalMs: 100, what });
}

export class RedisProcess {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(async () => {
      const { Redis } = await import('ioredis');
      const r = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      r.on('error', () => {});
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    }, `redis on ${this.port}`);
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
  }
}

export class NodeProcess {
  private proc: ChildProcess | undefined;
  log = '';
  constructor(readonly port: number, private readonly env: Record<string, string>) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }
  async start(timeoutMs = 20_000): Promise<void> {
    // The production loader (npm start), not tsx: what ships is what runs here.
    this.proc = spawn(process.execPath, ['--import', './scripts/register-ts.mjs', 'src/server/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => (this.log = (this.log + b.toString()).slice(-20_000));
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.port}/readyz`)).ok, `node on ${this.port}\n${this.log}`, timeoutMs);
  }
  async ready(): Promise<boolean> {
    return (await fetch(`http://127.0.0.1:${this.port}/readyz`)).ok;
  }
  /** kill -9: no goodbye, as when a machine dies */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
}

export { waitFor };
