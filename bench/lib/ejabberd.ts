// ejabberd from Debian's package (`apt-get install ejabberd`), with a private config, spool
// and log folder in a temp dir. How it is started, exactly:
//
//   ejabberdctl --config DIR/ejabberd.yml --ctl-config DIR/ejabberdctl.cfg \
//     --spool DIR/spool --logs DIR/logs --node bench<pid>@localhost foreground
//
// Run as root, Debian's ejabberdctl switches to the `ejabberd` user (su) and runs erl with
// `-mnesia dir DIR/spool -s ejabberd`, so DIR is chowned to that user. The private
// ejabberdctl.cfg sets ERL_DIST_PORT (Erlang distribution on a fixed loopback port, no
// epmd: other Erlang nodes on this machine are left alone). `ejabberdctl ... stop` ends it.
// Accounts are made through ejabberd's own HTTP API (mod_http_api `register`, loopback only),
// which is much faster than one `ejabberdctl register` (an Erlang VM start) per account.
// A full GC before each memory sample goes through a hidden Erlang node of our own (see
// collectGarbage), the way ejabberdctl reaches the server.
//
// Setup vs Debian's /etc/ejabberd/ejabberd.yml: the same auth (internal, SCRAM-hashed
// passwords), no TLS (plain c2s on loopback), listen backlog 1024 (ejabberd's default of 5
// drops SYNs under parallel logins: 1-s retries), no c2s traffic shaper (Debian's limits every
// user to 3000 B/s), in-band registration off, and no mod_mam, like Debian's default: no
// message archive, nothing persisted. BENCH_EJABBERD_MAM=1 adds mod_mam (Mnesia, default: always).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findBinary, freePort, pidsByCmdline, pool, reap, spawnLogged, tail, waitForPort, type XmppServer,
} from './xmpp-server.js';

export const EJABBERD_INSTALL = 'apt-get update && apt-get install -y ejabberd';

export async function startEjabberd(opts: { mam: boolean }): Promise<XmppServer> {
  const ctl = findBinary('ejabberdctl');
  if (!ctl) throw new Error(`ejabberdctl not found: install Debian's ejabberd with \`${EJABBERD_INSTALL}\``);
  const dir = mkdtempSync(join(tmpdir(), 'xmpp-bench-ejabberd-'));
  const [c2s, http, dist] = [await freePort(), await freePort(), await freePort()];
  const node = `bench${process.pid}@localhost`;
  mkdirSync(join(dir, 'spool'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'ejabberd.yml'), config(c2s, http, opts.mam));
  // su starts the VM with a soft open-files limit of 1024 (logins fail near 1000
  // connections): ejabberdctl sources this file before su, so ERL points at a wrapper that
  // raises the soft limit to the hard one (what Node and Prosody run with here) as the ejabberd user.
  writeFileSync(join(dir, 'erl'), '#!/bin/sh\nulimit -n "$(ulimit -Hn)"\nexec /usr/bin/erl "$@"\n', { mode: 0o755 });
  writeFileSync(join(dir, 'ejabberdctl.cfg'), `ERL_DIST_PORT=${dist}\nINET_DIST_INTERFACE=127.0.0.1\nERL=${join(dir, 'erl')}\n`);
  execFileSync('chown', ['-R', 'ejabberd:ejabberd', dir]);
  const args = ['--config', join(dir, 'ejabberd.yml'), '--ctl-config', join(dir, 'ejabberdctl.cfg'),
    '--spool', join(dir, 'spool'), '--logs', join(dir, 'logs'), '--node', node];
  const logFile = join(dir, 'foreground.log');
  const child = spawnLogged(ctl, [...args, 'foreground'], logFile, dir);
  const beam = () => pidsByCmdline(['beam.smp', node]);
  const cleanup = async () => {
    const pids = beam();
    spawnSync(ctl, [...args, 'stop'], { timeout: 20_000, stdio: 'ignore' });
    await reap(pids, 10_000);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(c2s, 60_000, child);
    await waitForPort(http, 10_000, child);
  } catch (err) {
    const why = `${(err as Error).message}\n${tail(logFile)}\n${tail(join(dir, 'logs', 'ejabberd.log'))}`;
    await cleanup();
    throw new Error(`ejabberd did not start: ${why}`);
  }
  const version = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'ejabberd'], { encoding: 'utf8' }).stdout || '?';
  return {
    name: 'ejabberd',
    label: `ejabberd ${version} (Debian package; internal auth, SCRAM-stored passwords${opts.mam ? ', mod_mam on' : ''})`,
    persistence: opts.mam ? 'mod_mam, default: always, Mnesia (every message archived)' : 'none (no mod_mam, as in Debian\'s default config)',
    target: { host: '127.0.0.1', port: c2s, domain: 'localhost' },
    pids: beam,
    async createUsers(names, password) {
      await pool(names.length, 16, async (i) => {
        const res = await fetch(`http://127.0.0.1:${http}/api/register`, {
          method: 'POST',
          body: JSON.stringify({ user: names[i], host: 'localhost', password }),
        });
        if (!res.ok) throw new Error(`ejabberd register ${names[i]}: ${res.status} ${await res.text()}`);
      });
      return names.map(() => password);
    },
    async collectGarbage() {
      // ejabberdctl has no GC command: a hidden Erlang node (as ejabberdctl's own client
      // nodes are) calls erlang:garbage_collect/1 on every process of the server node.
      const code = `N = '${node}', Ps = rpc:call(N, erlang, processes, []), ` +
        'ok = rpc:call(N, lists, foreach, [fun erlang:garbage_collect/1, Ps]), halt().';
      const erl = [`erl -sname gc${process.pid}@localhost -hidden -noinput -erl_epmd_port ${dist}`,
        `-start_epmd false -dist_listen false -eval "${code}"`].join(' ');
      const r = spawnSync('su', ['-s', '/bin/sh', 'ejabberd', '-c', erl], { cwd: dir, timeout: 20_000, encoding: 'utf8' });
      return r.status === 0;
    },
    storedMessages: async () => null,
    stop: cleanup,
  };
}

function config(c2s: number, http: number, mam: boolean): string {
  return `# written by bench/lib/ejabberd.ts
hosts: ["localhost"]
loglevel: warning
certfiles: []
auth_method: internal
auth_password_format: scram
listen:
  - port: ${c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    backlog: 1024
    access: all
    starttls: false
  - port: ${http}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
api_permissions:
  "bench on loopback":
    from: [mod_http_api]
    who:
      ip: "127.0.0.0/8"
    what: ["register"]
  "console commands":
    from: [ejabberd_ctl]
    who: all
    what: "*"
modules:
  mod_disco: {}
  mod_roster: {}
  mod_ping: {}
  mod_carboncopy: {}
  mod_offline: {}
  mod_stream_mgmt: {}
  mod_http_api: {}
${mam ? '  mod_mam:\n    db_type: mnesia\n    default: always\n' : ''}`;
}
