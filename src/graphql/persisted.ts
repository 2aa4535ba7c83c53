// Persisted operations. Development and ordinary deployments: automatic persisted queries
// (APQ, @graphql-yoga/plugin-apq) so a client may send only the hash of a document it sent
// once. Production with TRUSTED_DOCUMENTS: only the operations of a manifest are accepted
// (@graphql-yoga/plugin-persisted-operations); they are parsed and validated once, at start,
// so requests skip both.
import { parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { createInMemoryAPQStore, useAPQ } from '@graphql-yoga/plugin-apq';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export type TrustedDocuments = ReadonlyMap<string, DocumentNode>;

/**
 * A manifest as the common tools write it: `{"<id>": "<document>", …}` (graphql-codegen's
 * client preset, `persisted-documents.json`) or Apollo's
 * `{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}, …]}`.
 * Every document must parse and validate against the schema, or the server does not start.
 */
export function loadTrustedDocuments(json: string, schema: GraphQLSchema): TrustedDocuments {
  const raw = JSON.parse(json) as unknown;
  if (!raw || typeof raw !== 'object') throw new Error('trusted documents: the manifest must be a JSON object');
  const m = raw as { format?: unknown; operations?: unknown };
  const entries: [unknown, unknown][] = m.format === 'apollo-persisted-query-manifest' && Array.isArray(m.operations)
    ? m.operations.map((o: { id?: unknown; body?: unknown }) => [o?.id, o?.body])
    : Object.entries(raw);
  const docs = new Map<string, DocumentNode>();
  for (const [id, body] of entries) {
    if (typeof id !== 'string' || !id || typeof body !== 'string') throw new Error('trusted documents: every entry needs a string id and document');
    let doc: DocumentNode;
    try {
      doc = parse(body);
    } catch (e) {
      throw new Error(`trusted documents: ${id} does not parse: ${(e as Error).message}`);
    }
    const errors = validate(schema, doc);
    if (errors.length) throw new Error(`trusted documents: ${id} is not valid: ${errors[0]!.message}`);
    docs.set(id, doc);
  }
  return docs;
}

/** The id of a persisted operation: `documentId` (GraphQL over HTTP) or APQ's `extensions.persistedQuery.sha256Hash`. */
export function persistedId(params: { documentId?: unknown; extensions?: unknown }): string | null {
  if (typeof params.documentId === 'string') return params.documentId;
  const pq = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return pq?.version === 1 && typeof pq.sha256Hash === 'string' ? pq.sha256Hash : null;
}

export const persistedErrors = {
  notFound: () => createGraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }),
  onlyTrusted: () =>
    createGraphQLError('Only trusted documents are accepted: send the id of a listed operation, not a document', {
      extensions: { code: 'TRUSTED_DOCUMENTS_ONLY' },
    }),
};

export function persistedOperationsPlugin(trusted: TrustedDocuments | null): Plugin {
  if (!trusted) {
    // answered with HTTP 200 so clients' APQ links read the code from the body and register the query
    return useAPQ({ store: createInMemoryAPQStore({ max: 5000, ttl: 3_600_000 }), responseConfig: { forceStatusCodeOk: true } }) as Plugin;
  }
  return usePersistedOperations({
    getPersistedOperation: (id) => trusted.get(id) ?? null,
    extractPersistedOperationId: (params) => persistedId(params as never),
    allowArbitraryOperations: false,
    skipDocumentValidation: true,
    customErrors: { notFound: persistedErrors.notFound, keyNotFound: persistedErrors.onlyTrusted, persistedQueryOnly: persistedErrors.onlyTrusted },
  }) as Plugin;
}
