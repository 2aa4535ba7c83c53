// Rebuilds the search index from the database (`npm run search:reindex`), with the same
// environment as the server: on Meilisearch (MEILI_URL) every user and group document is
// rewritten into fresh indexes that are then swapped in; on PostgreSQL the pinyin keys of
// every user are recomputed. Use it after restoring a backup, importing users by SQL, or
// when the search index missed changes (a node died between commit and indexing).
import { loadConfig } from '../src/server/config.js';
import { createLogger } from '../src/server/logger.js';
import { createStorage } from '../src/storage/index.js';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const storage = await createStorage({
  databaseUrl: config.databaseUrl, redisUrl: undefined, redisChannel: 'reindex', redisPrefix: 'reindex', nodeId: 'reindex',
  presenceTtlMs: 15_000, dataDir: config.dataDir, embeddedPgPort: config.embeddedPgPort, embeddedAttach: true, dbPoolSize: 4, meili: config.meili,
  dbQueryTimeoutMs: 3_600_000, // a batch job: its reads may take long, nobody waits on them
  log: { info: (m) => logger.info(m), error: (o, m) => logger.error(o, m) },
});
const started = Date.now();
try {
  await storage.search.start();
  let last = 0;
  const counts = await storage.search.reindex((what, done) => {
    if (Date.now() - last > 2000) {
      last = Date.now();
      logger.info(`${what}: ${done} indexed`);
    }
  });
  const s = (Date.now() - started) / 1000;
  logger.info(`reindexed ${counts.users} users and ${counts.groups} groups on ${storage.search.name} in ${s.toFixed(1)} s`);
} catch (err) {
  logger.error({ err }, 'reindex failed');
  process.exitCode = 1;
} finally {
  await storage.close();
}
