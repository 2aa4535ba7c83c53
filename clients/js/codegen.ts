// Types of this client's operations, generated from the server's printed schema:
// `npm run codegen` here after schema.graphql or src/operations.ts changes.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/operations.ts'],
  generates: {
    'src/generated.ts': {
      plugins: ['typescript-operations'],
      config: { enumsAsTypes: true, useTypeImports: true, scalars: { ID: 'string' } },
    },
  },
};
export default config;
