// One registry of expected failures. Edges map `code` to their own wire form
// (GraphQL extensions.code, XMPP stanza errors, Startalk HTTP errcode); anything
// that is not an AppError is a bug and gets masked as INTERNAL.

export const ERRORS = {
  UNAUTHENTICATED: { http: 401, xmpp: { type: 'auth', condition: 'not-authorized' } },
  FORBIDDEN: { http: 403, xmpp: { type: 'auth', condition: 'forbidden' } },
  BAD_USER_INPUT: { http: 400, xmpp: { type: 'modify', condition: 'bad-request' } },
  NOT_FOUND: { http: 404, xmpp: { type: 'cancel', condition: 'item-not-found' } },
  CONFLICT: { http: 409, xmpp: { type: 'cancel', condition: 'conflict' } },
  RATE_LIMITED: { http: 429, xmpp: { type: 'wait', condition: 'resource-constraint' } },
  /** a dependency (the database) did not answer in time: nothing may have happened, retry with the same ids */
  UNAVAILABLE: { http: 503, xmpp: { type: 'wait', condition: 'internal-server-error' } },
  INTERNAL: { http: 500, xmpp: { type: 'cancel', condition: 'internal-server-error' } },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const unauthenticated = (msg = 'authentication required') => new AppError('UNAUTHENTICATED', msg);
export const forbidden = (msg = 'not allowed') => new AppError('FORBIDDEN', msg);
export const badInput = (msg: string, details?: Record<string, unknown>) => new AppError('BAD_USER_INPUT', msg, details);
export const notFound = (msg: string) => new AppError('NOT_FOUND', msg);
export const rateLimited = (msg: string, retryAfterMs: number) => new AppError('RATE_LIMITED', msg, { retryAfterMs });
export const unavailable = (msg = 'temporarily unavailable, retry shortly', retryAfterMs = 1000) =>
  new AppError('UNAVAILABLE', msg, { retryAfterMs });

/** Structural check: module duplication (test runners, bundlers) must not turn expected errors into INTERNAL. */
export function isAppError(e: unknown): e is AppError {
  return e instanceof Error && e.name === 'AppError' && typeof (e as AppError).code === 'string' && (e as AppError).code in ERRORS;
}
