import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // graphql 16 ships index.js (CJS) and index.mjs; Node (and so every dependency) loads
  // index.js, vite would give our sources index.mjs: two copies of graphql break schemas.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database; two cores, so keep parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
