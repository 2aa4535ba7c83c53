// Maps errors to what clients see: AppErrors keep their message and get extensions.code;
// GraphQL syntax/validation/coercion errors become BAD_USER_INPUT; anything else is a bug,
// logged and masked as INTERNAL.
import { GraphQLError } from 'graphql';
import { AppError } from '../core/errors.js';

export function createMaskError(log: (err: unknown) => void) {
  return (error: unknown): Error => {
    const gql = error instanceof GraphQLError ? error : null;
    const orig = gql?.originalError ?? error;
    if (orig instanceof AppError) {
      return new GraphQLError(orig.message, {
        nodes: gql?.nodes, source: gql?.source, positions: gql?.positions, path: gql?.path,
        extensions: { ...orig.details, code: orig.code },
      });
    }
    if (gql && (!gql.originalError || gql.originalError instanceof GraphQLError)) {
      if (gql.extensions.code) return gql;
      return new GraphQLError(gql.message, {
        nodes: gql.nodes, source: gql.source, positions: gql.positions, path: gql.path,
        extensions: { ...gql.extensions, code: 'BAD_USER_INPUT' },
      });
    }
    log(orig);
    return new GraphQLError('Unexpected error.', { path: gql?.path, extensions: { code: 'INTERNAL' } });
  };
}
