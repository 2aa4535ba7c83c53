// Prosody from Debian's package (`apt-get install prosody`), with a standalone config and
// data folder in a temp dir, started in the foreground:
//
//   prosody --config DIR/prosody.cfg.lua -F
//
// As root it needs `run_as_root = true`. Accounts and a full Lua GC go through Prosody's own
// admin console (mod_admin_telnet on a loopback port): `user:create(jid, password)`, the
// same as `prosodyctl --config FILE register user host password` without a Lua start per account.
//
// Setup vs Debian's /etc/prosody/prosody.cfg.lua: same auth (internal_hashed: SCRAM-SHA-1,
// 10000 iterations) and storage (internal files); no TLS and plain auth allowed on loopback;
// no mod_limits (Debian's caps c2s at 10 kB/s), no s2s, no registration; no mod_mam (commented
// out in Debian's default too): nothing persisted.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, reap, spawnLogged, tail, waitForPort, type XmppServer } from './xmpp-server.js';

export const PROSODY_INSTALL = 'apt-get update && apt-get install -y prosody';

export async function startProsody(): Promise<XmppServer> {
  const bin = findBinary('prosody');
  if (!bin) throw new Error(`prosody not found: install Debian's Prosody with \`${PROSODY_INSTALL}\``);
  const dir = mkdtempSync(join(tmpdir(), 'xmpp-bench-prosody-'));
  const [c2s, consolePort] = [await freePort(), await freePort()];
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(cfg, config(dir, c2s, consolePort));
  const logFile = join(dir, 'foreground.log');
  const child = spawnLogged(bin, ['--config', cfg, '-F'], logFile, dir);
  const cleanup = async () => {
    if (child.pid && child.exitCode === null) child.kill('SIGTERM');
    if (child.pid) await reap([child.pid], 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(c2s, 30_000, child);
    await waitForPort(consolePort, 10_000, child);
  } catch (err) {
    const why = `${(err as Error).message}\n${tail(logFile)}\n${tail(join(dir, 'prosody.log'))}`;
    await cleanup();
    throw new Error(`prosody did not start: ${why}`);
  }
  const version = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'prosody'], { encoding: 'utf8' }).stdout || '?';
  return {
    name: 'prosody',
    label: `Prosody ${version} (Debian package; internal_hashed auth, epoll)`,
    persistence: 'none (no mod_mam, as in Debian\'s default config)',
    target: { host: '127.0.0.1', port: c2s, domain: 'localhost' },
    pids: () => (child.pid && child.exitCode === null ? [child.pid] : []), // the prosody script is the lua process
    async createUsers(names, password) {
      const lines = names.map((n) => `user:create(${JSON.stringify(`${n}@localhost`)}, ${JSON.stringify(password)})`);
      const out = await consoleRun(consolePort, lines);
      const created = out.split('OK: User created').length - 1;
      if (created !== names.length) throw new Error(`prosody created ${created} of ${names.length} users: ${out.slice(-500)}`);
      return names.map(() => password);
    },
    async collectGarbage() {
      await consoleRun(consolePort, ['> collectgarbage("collect"); collectgarbage("collect"); return collectgarbage("count")']);
      return true;
    },
    storedMessages: async () => null,
    stop: cleanup,
  };
}

/** Sends console lines, then `quit`; resolves with everything the console wrote. */
function consoleRun(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    let out = '';
    s.on('data', (d: string) => (out += d));
    s.on('connect', () => s.write(`${lines.join('\n')}\nquit\n`));
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

function config(dir: string, c2s: number, consolePort: number): string {
  return `-- written by bench/lib/prosody.ts
run_as_root = true
daemonize = false
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}/certs"
log = { warn = "${dir}/prosody.log" }
network_backend = "epoll"
network_settings = { tcp_backlog = 1024 }
c2s_ports = { ${c2s} }
c2s_interfaces = { "127.0.0.1" }
console_ports = { ${consolePort} }
console_interfaces = { "127.0.0.1" }
http_ports = {}
https_ports = {}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false
authentication = "internal_hashed"
storage = "internal"
modules_enabled = { "disco", "roster", "saslauth", "carbons", "ping", "smacks", "admin_telnet" }
modules_disabled = { "s2s", "tls", "limits" }
VirtualHost "localhost"
`;
}
