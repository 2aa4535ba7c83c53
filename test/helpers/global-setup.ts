// Tests run against a real PostgreSQL: the one on DATABASE_URL, else the embedded default.
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../../src/storage/postgres/embedded.js';

let embedded: EmbeddedHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: './data/test', port: 54339, log: () => {} });
    url = embedded.url;
  }
  project.provide('databaseUrl', url);
  project.provide('redisUrl', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}
