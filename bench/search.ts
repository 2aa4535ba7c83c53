// Search benchmark on the PostgreSQL adapter (`npm run bench:search`): 100,000 users with
// Chinese names and 20,000 groups written by SQL, then the index is built (pinyin keys of
// every user: the indexing throughput) and typical queries are timed one at a time:
// username prefix, Chinese characters, pinyin initials, full pinyin, department substring,
// and the searcher's groups. Target: p99 < 20 ms. Meilisearch is not measured here (no
// server on these machines).
//   BENCH_DATABASE_URL  database to DROP and re-create [postgresql://postgres@127.0.0.1:5432/stn_bench_search]
//   BENCH_USERS / BENCH_GROUPS / BENCH_QUERIES  [100000 / 20000 / 300 per query kind]
import pg from 'pg';
import { PgSearchIndex } from '../src/storage/postgres/search.js';
import { migrate } from '../src/storage/postgres/migrate.js';
import { recreateDatabase } from './lib/pg.js';

const env = process.env;
const URL_ = env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stn_bench_search';
const USERS = Number(env.BENCH_USERS ?? 100_000);
const GROUPS = Number(env.BENCH_GROUPS ?? 20_000);
const QUERIES = Number(env.BENCH_QUERIES ?? 300);

// [character, pinyin]: generated names, and usernames from their pinyin as Startalk sites do
const SURNAMES = [['张', 'zhang'], ['王', 'wang'], ['李', 'li'], ['赵', 'zhao'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'],
  ['黄', 'huang'], ['周', 'zhou'], ['吴', 'wu'], ['徐', 'xu'], ['孙', 'sun'], ['马', 'ma'], ['朱', 'zhu'], ['胡', 'hu'],
  ['郭', 'guo'], ['何', 'he'], ['林', 'lin'], ['罗', 'luo'], ['高', 'gao']] as const;
const GIVEN = [['伟', 'wei'], ['芳', 'fang'], ['娜', 'na'], ['敏', 'min'], ['静', 'jing'], ['丽', 'li'], ['强', 'qiang'],
  ['磊', 'lei'], ['军', 'jun'], ['洋', 'yang'], ['勇', 'yong'], ['艳', 'yan'], ['杰', 'jie'], ['涛', 'tao'], ['明', 'ming'],
  ['超', 'chao'], ['秀', 'xiu'], ['霞', 'xia'], ['平', 'ping'], ['刚', 'gang'], ['小', 'xiao'], ['三', 'san'], ['春', 'chun'],
  ['文', 'wen'], ['华', 'hua'], ['建', 'jian'], ['国', 'guo'], ['海', 'hai'], ['云', 'yun'], ['飞', 'fei']] as const;
const DEPTS = ['/技术部/后端', '/技术部/前端', '/研发部/搜索组', '/产品部', '/市场部/华东', '/财务部', '/人力资源部', '/运营部/客服'];

let seed = 42; // mulberry32: reproducible runs
const rnd = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return (((x ^ (x >>> 14)) >>> 0) / 4294967296) * n | 0;
};
const pick = <T>(a: readonly T[]) => a[rnd(a.length)]!;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function main() {
  await recreateDatabase(URL_);
  const pool = new pg.Pool({ connectionString: URL_, max: 4 });
  await migrate(pool, new URL('../prisma/migrations', import.meta.url).pathname);
  await pool.query("INSERT INTO domains (host) VALUES ('localhost')");

  // users: 张伟 -> zhangwei17, in chunks of 10,000 rows per statement
  let t0 = Date.now();
  const names: { username: string; display: string; py: string; ini: string }[] = [];
  for (let i = 0; i < USERS; i++) {
    const s = pick(SURNAMES);
    const given = Array.from({ length: 1 + rnd(2) }, () => pick(GIVEN));
    const py = s[1] + given.map((g) => g[1]).join('');
    names.push({ username: `${py}${i}`, display: s[0] + given.map((g) => g[0]).join(''), py, ini: s[1][0] + given.map((g) => g[1][0]).join('') });
  }
  for (let i = 0; i < USERS; i += 10_000) {
    const chunk = names.slice(i, i + 10_000);
    await pool.query(
      `INSERT INTO users (domain_id, username, display_name, department, password_hash)
       SELECT 1, u, d, dep, 'scrypt$disabled' FROM unnest($1::text[], $2::text[], $3::text[]) AS x(u, d, dep)`,
      [chunk.map((n) => n.username), chunk.map((n) => n.display), chunk.map(() => pick(DEPTS))],
    );
  }
  const insertUsersS = (Date.now() - t0) / 1000;

  // groups: 20,000 with 2-30 members; the searchers are in many
  t0 = Date.now();
  const searchers = [1, 2, 3, 4, 5].map(String);
  const convIds: string[] = [];
  for (let i = 0; i < GROUPS; i += 5000) {
    const n = Math.min(5000, GROUPS - i);
    const r = await pool.query<{ id: string }>(
      `INSERT INTO conversations (kind, name, topic) SELECT 'group', n, t FROM unnest($1::text[], $2::text[]) AS x(n, t) RETURNING id::text`,
      [Array.from({ length: n }, (_, j) => `${pick(SURNAMES)[0]}${pick(GIVEN)[0]}项目组 ${i + j}`), Array.from({ length: n }, () => pick(DEPTS))],
    );
    convIds.push(...r.rows.map((x) => x.id));
  }
  const mc: string[] = [];
  const mu: string[] = [];
  for (const [k, c] of convIds.entries()) {
    const members = new Set<string>();
    if (k % 100 < searchers.length) members.add(searchers[k % searchers.length]!); // ~200 groups per searcher
    const size = 2 + rnd(29);
    while (members.size < size) members.add(String(1 + rnd(USERS)));
    for (const u of members) {
      mc.push(c);
      mu.push(u);
    }
  }
  for (let i = 0; i < mc.length; i += 50_000) {
    await pool.query(
      `INSERT INTO conversation_members (conversation_id, user_id, role) SELECT c, u, 'member' FROM unnest($1::bigint[], $2::bigint[]) AS x(c, u)`,
      [mc.slice(i, i + 50_000), mu.slice(i, i + 50_000)],
    );
  }
  const insertGroupsS = (Date.now() - t0) / 1000;
  await pool.query('VACUUM ANALYZE');

  // indexing: the adapter computes pinyin and initials of every user and writes them
  const index = new PgSearchIndex(pool);
  t0 = Date.now();
  const { users: indexed } = await index.reindex();
  const indexS = (Date.now() - t0) / 1000;
  await pool.query('VACUUM ANALYZE users');

  const kinds: Record<string, () => string> = {
    'username prefix': () => { const n = pick(names); return n.username.slice(0, 3 + rnd(4)); },
    'Chinese chars': () => { const n = pick(names); return n.display.slice(0, 2); },
    'pinyin initials': () => pick(names).ini,
    'full pinyin prefix': () => pick(names).py.slice(0, 5),
    'department substring': () => pick(['技术部', '搜索组', '市场部', '人力资源']), // 3+ characters: trigrams
    'my groups (name)': () => pick(['项目组', '张伟', '1234', '王']),
  };
  const results: Record<string, { p50: number; p99: number; max: number; avgHits: number }> = {};
  for (const [kind, gen] of Object.entries(kinds)) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < QUERIES + 20; i++) {
      const text = gen();
      const s = process.hrtime.bigint();
      const r = kind.startsWith('my groups')
        ? await index.groups({ viewerId: pick(searchers), text, offset: 0, limit: 20 })
        : await index.users({ domain: 'localhost', text, offset: 0, limit: 20 });
      const ms = Number(process.hrtime.bigint() - s) / 1e6;
      if (i >= 20) { // warm-up excluded
        times.push(ms);
        hits += r.items.length;
      }
    }
    times.sort((a, b) => a - b);
    results[kind] = { p50: +pct(times, 50).toFixed(2), p99: +pct(times, 99).toFixed(2), max: +times.at(-1)!.toFixed(2), avgHits: +(hits / QUERIES).toFixed(1) };
  }
  await pool.end();

  console.log(`search bench (PostgreSQL adapter): ${USERS} users, ${GROUPS} groups, ${mc.length} memberships`);
  console.log(`  set-up: users inserted in ${insertUsersS.toFixed(1)} s, groups in ${insertGroupsS.toFixed(1)} s`);
  console.log(`  indexing (pinyin keys computed + written): ${indexed} users in ${indexS.toFixed(1)} s = ${Math.round(indexed / indexS)} users/s`);
  console.log(`  latency per query, ${QUERIES} queries each, sequential, limit 20 (ms):`);
  for (const [k, r] of Object.entries(results)) {
    console.log(`    ${k.padEnd(22)} p50 ${String(r.p50).padStart(6)}  p99 ${String(r.p99).padStart(6)}  max ${String(r.max).padStart(6)}  hits/query ${r.avgHits}${r.p99 > 20 ? '   (over the 20 ms target)' : ''}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
