// Writes schema.graphql from the Pothos schema; with --check, fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema/index.js';

const file = new URL('../schema.graphql', import.meta.url);
const text = `${printSchema(lexicographicSortSchema(schema))}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    process.stderr.write('schema.graphql is stale: run `npm run schema:print` and commit it\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
