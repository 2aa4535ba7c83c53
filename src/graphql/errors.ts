// Maps errors to what clients see: AppErrors keep their message and get extensions.code;
// the request-level codes of GraphQL servers (PROTOCOL_CODES) pass as they are; other GraphQL
// errors (variable coercion…) become BAD_USER_INPUT; anything else is a bug, logged and masked
// as INTERNAL. Checks are structural: graphql ships CJS and ESM builds,
// and a GraphQLError from the other copy must not be mistaken for a bug.
import { GraphQLError } from 'graphql';
import { ERRORS, isAppError } from '../core/errors.js';

/** codes for a request that never ran: its document, or how it was sent */
export const PROTOCOL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_MISMATCH', 'TRUSTED_DOCUMENTS_ONLY',
]);

const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof Error && e.name === 'GraphQLError';

function withCode(gql: GraphQLError | null, message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    nodes: gql?.nodes, source: gql?.source, positions: gql?.positions, path: gql?.path, extensions,
  });
}

export function createMaskError(log: (err: unknown) => void) {
  return (error: unknown): Error => {
    const gql = isGraphQLError(error) ? error : null;
    const orig = gql?.originalError ?? error;
    if (isAppError(orig)) return withCode(gql, orig.message, { ...orig.details, code: orig.code });
    // yoga parses GET parameters (variables, extensions) with a bare JSON.parse: the client's fault
    if (!gql && (error instanceof SyntaxError || error instanceof URIError)) {
      return withCode(null, `malformed request: ${error.message}`, { code: 'BAD_USER_INPUT', http: { status: 400 } });
    }
    if (gql && (!gql.originalError || isGraphQLError(gql.originalError))) {
      const code = gql.extensions?.code;
      if (typeof code === 'string' && (code in ERRORS || PROTOCOL_CODES.has(code))) return gql;
      // anything else yoga reports (BAD_REQUEST, coercion errors…) folds into our registry
      return withCode(gql, gql.message, { ...gql.extensions, code: 'BAD_USER_INPUT', ...(code ? { reason: code } : {}) });
    }
    log(orig);
    return withCode(gql, 'Unexpected error.', { code: 'INTERNAL' });
  };
}
