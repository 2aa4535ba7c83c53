// One way to turn a subscribe message (graphql-ws, graphql-sse single-connection) into
// execution arguments: the document (trusted, or parsed with the limits), validation with the
// same rules as HTTP, and the context. Errors come back masked, with the codes HTTP gives.
import { GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Auth } from './auth.js';
import type { Context } from './builder.js';
import { persistedErrors, persistedId, type TrustedDocuments } from './persisted.js';

export interface OperationParams {
  query?: string | null;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
  documentId?: string;
}

type ServerContext = Record<string, unknown> & { session?: Auth['session']; apiKey?: Auth['apiKey'] };

export interface Prepared {
  args: ExecutionArgs;
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export function createOperationPreparer(
  yoga: YogaServerInstance<ServerContext, Context>,
  trusted: TrustedDocuments | null,
  maskError: (e: unknown) => Error,
) {
  const masked = (errors: readonly unknown[]) => errors.map((e) => maskError(e) as GraphQLError);
  /** serverContext: what the context factory reads (request, or an already proven session) */
  return async (params: OperationParams, serverContext: ServerContext): Promise<Prepared | GraphQLError[]> => {
    const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ ...serverContext, params });
    let document: DocumentNode;
    if (trusted) {
      const id = persistedId(params);
      if (params.query || !id) return masked([persistedErrors.onlyTrusted()]);
      const doc = trusted.get(id);
      if (!doc) return masked([persistedErrors.notFound()]);
      document = doc; // validated when the manifest was loaded
    } else {
      if (!params.query) return masked([persistedErrors.notFound()]);
      try {
        document = parse(params.query);
      } catch (e) {
        if (e instanceof Error && e.name === 'GraphQLError') {
          const ext = (e as GraphQLError).extensions as Record<string, unknown>;
          ext.code ??= 'GRAPHQL_PARSE_FAILED';
        }
        return masked([e]);
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return masked(errors);
    }
    const args: ExecutionArgs = {
      schema, document, operationName: params.operationName, variableValues: params.variables, contextValue: await contextFactory(),
    };
    return { args, execute: execute as Prepared['execute'], subscribe: subscribe as Prepared['subscribe'] };
  };
}
