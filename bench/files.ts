// File upload/download throughput through our server (local disk store) against writing and
// reading the same bytes on the same disk directly, and the server's peak RSS growth during
// a 50 MB upload. The server runs in its own process (bench/lib/server-handle.ts).
//
//   BENCH_DATABASE_URL  database to DROP and re-create [postgres://postgres@127.0.0.1:5432/stn_bench_files]
//   BENCH_FILES_DIR     where the server's DATA_DIR and the direct-to-disk copies go [a fresh dir under os.tmpdir()]
//   BENCH_FILES_ROUNDS  rounds per size, as "1MB:20,50MB:3"
// Targets: through the server >= 50% of the direct rate; < 64 MB extra RSS for a 50 MB upload.
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { recreateDatabase } from './lib/pg.js';
import { startChild } from './lib/server-handle.js';

const MB = 1024 * 1024;
const env = process.env;
const databaseUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stn_bench_files';
const rounds = (env.BENCH_FILES_ROUNDS ?? '1MB:20,50MB:3').split(',').map((p) => {
  const [size, n] = p.split(':');
  return { size: Number.parseInt(size!, 10) * MB, label: size!, n: Number(n) };
});
const CHUNK = 64 * 1024;

/** a body as a stream of 64 KB chunks, so neither side gets one giant buffer */
const chunks = (buf: Buffer) => Readable.from((function* () {
  for (let i = 0; i < buf.length; i += CHUNK) yield buf.subarray(i, i + CHUNK);
})());

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** samples a process's RSS every 5 ms while `work` runs; returns the peak */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = await rssOf(pid);
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await rssOf(pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    const result = await work();
    return { result, peak };
  } finally {
    running = false;
    await sampler;
  }
}

async function main(): Promise<void> {
  await recreateDatabase(databaseUrl);
  const dir = env.BENCH_FILES_DIR ?? (await mkdtemp(join(tmpdir(), 'stn-bench-files-')));
  const adminPassword = 'bench-admin-pass';
  const server = await startChild({
    DATABASE_URL: databaseUrl, DATA_DIR: join(dir, 'server'), ADMIN_PASSWORD: adminPassword, LOG_LEVEL: 'warn',
    XMPP_PORT: 'off', MAX_FILE_BYTES: String(200 * MB), SEND_RATE_PER_SEC: '0',
  });
  const base = server.url.replace(/\/graphql$/, '');
  try {
    const login = await fetch(server.url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($p:String!){ login(username:"admin",password:$p){ token } }', variables: { p: adminPassword } }),
    });
    const token = ((await login.json()) as { data: { login: { token: string } } }).data.login.token;
    const auth = { authorization: `Bearer ${token}` };

    const upload = async (buf: Buffer): Promise<string> => {
      const boundary = `----stnbench${randomBytes(8).toString('hex')}`;
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const body = Readable.from((function* () {
        yield head;
        for (let i = 0; i < buf.length; i += CHUNK) yield buf.subarray(i, i + CHUNK);
        yield tail;
      })());
      // node:http, not fetch: the client shares the 2 cores and web streams would cost more than the server
      const text = await new Promise<string>((resolve, reject) => {
        const req = request(`${base}/file/v2/upload/file?key=bench&name=b.bin`, {
          method: 'POST',
          headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + buf.length + tail.length) },
        }, (res) => {
          let out = '';
          res.setEncoding('utf8').on('data', (c: string) => (out += c)).on('end', () => resolve(out)).on('error', reject);
        });
        req.on('error', reject);
        body.pipe(req);
      });
      const j = JSON.parse(text) as { ret: boolean; data: string; msg: string };
      if (!j.ret) throw new Error(`upload refused: ${j.msg}`);
      return j.data;
    };
    const download = (path: string) => new Promise<number>((resolve, reject) => {
      request(base + path, { headers: auth }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length)).on('end', () => resolve(n)).on('error', reject);
      }).on('error', reject).end();
    });

    // memory first, on a fresh server: RSS growth while it takes one 50 MB upload
    let memLine = '';
    await server.snapshot(); // full GC first
    const before = await rssOf(server.pid);
    const big = randomBytes(50 * MB);
    const { peak } = await peakRss(server.pid, () => upload(big));
    const extra = (peak - before) / MB;
    memLine = `50 MB upload: server RSS ${(before / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB, extra ${extra.toFixed(1)} MB (target < 64)`;

    const rows: Record<string, string | number>[] = [];
    for (const { size, label, n } of rounds) {
      const buf = randomBytes(size);
      let directW = 0, directR = 0, srvW = 0, srvR = 0, hashW = 0;
      for (let i = 0; i < n; i++) {
        buf.writeUInt32BE(i + 1, 0); // new content each round: no dedupe shortcut
        const file = join(dir, `direct-${i}`);
        let t0 = performance.now();
        await pipeline(chunks(buf), createWriteStream(file));
        directW += performance.now() - t0;
        t0 = performance.now();
        await pipeline(createReadStream(file, { highWaterMark: CHUNK }), async function* (src) {
          for await (const _c of src) { /* drain */ }
        });
        directR += performance.now() - t0;
        await rm(file);
        // reference: the same write while computing SHA-256 and MD5, as the server must
        t0 = performance.now();
        const sha = createHash('sha256'), md5 = createHash('md5');
        await pipeline(chunks(buf), async function* (src) {
          for await (const c of src) {
            sha.update(c as Buffer);
            md5.update(c as Buffer);
            yield c;
          }
        }, createWriteStream(file));
        sha.digest();
        md5.digest();
        hashW += performance.now() - t0;
        await rm(file);
        t0 = performance.now();
        const path = await upload(buf);
        srvW += performance.now() - t0;
        t0 = performance.now();
        if ((await download(path)) !== size) throw new Error('short download');
        srvR += performance.now() - t0;
      }
      const rate = (ms: number) => Math.round(((size * n) / MB / (ms / 1000)) * 10) / 10;
      rows.push({
        size: label, rounds: n,
        'disk write MB/s': rate(directW), 'write+hash MB/s': rate(hashW), 'upload MB/s': rate(srvW), 'upload %': Math.round((directW / srvW) * 100),
        'disk read MB/s': rate(directR), 'download MB/s': rate(srvR), 'download %': Math.round((directR / srvR) * 100),
      });
    }
    console.table(rows);
    console.log(memLine);

    const worst = Math.min(...rows.flatMap((r) => [Number(r['upload %']), Number(r['download %'])]));
    console.log(`slowest path: ${worst}% of the direct disk rate (target >= 50%)`);
  } finally {
    await server.close();
    if (!env.BENCH_FILES_DIR) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
