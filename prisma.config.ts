import { defineConfig } from 'prisma/config';

// The CLI is used offline only for `generate`; migrations are applied by our own
// migrator (src/storage/postgres/migrate.ts). See ../shared NOTES: an unset env()
// breaks generate, so read process.env directly.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
