// The database did not answer (timeouts, a lost or refused connection, a pool being shut
// down): the core's retryable UNAVAILABLE, never INTERNAL. Stores are wrapped once, so no
// port method can leak a driver error of this kind to an edge.
import { isAppError, unavailable } from '../core/errors.js';

const MESSAGES = [
  'timeout exceeded when trying to connect', // pg Pool: no connection within connectionTimeoutMillis
  'Connection terminated', // "... unexpectedly", "... due to connection timeout"
  'Query read timeout', // pg query_timeout: the server is silent
  'Cannot use a pool after calling end on the pool',
  'is not queryable', // a client whose connection failed or was closed
  'Command timed out', // ioredis commandTimeout: Redis is silent
  "Stream isn't writeable", // ioredis without an offline queue while disconnected
];
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE: connection exceptions (class 08), query_canceled (statement_timeout), admin and crash
// shutdowns, "the database system is starting up", too many connections, idle-in-transaction timeout.
const SQLSTATES = new Set(['57014', '57P01', '57P02', '57P03', '53300', '25P03']);
// Prisma's driver-adapter kinds and error codes for the same failures.
const PRISMA_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** True for failures that say nothing about the request, only that the database could not be reached in time. */
export function isUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const x = e as { code?: unknown; message?: unknown; kind?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    if (isAppError(x)) return x.code === 'UNAVAILABLE';
    const code = typeof x.code === 'string' ? x.code : '';
    if (SOCKET_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08') || PRISMA_CODES.has(code)) return true;
    if (typeof x.kind === 'string' && PRISMA_KINDS.has(x.kind)) return true;
    if (typeof x.message === 'string' && MESSAGES.some((m) => (x.message as string).includes(m))) return true;
    e = x.cause ?? x.meta?.driverAdapterError;
  }
  return false;
}

function translate(err: unknown): unknown {
  return !isAppError(err) && isUnavailable(err) ? unavailable('a backing store (database or Redis) is not answering, retry shortly') : err;
}

/** The same store, its methods' failures translated (sync throws and rejected promises alike). */
export function guardStore<T extends object>(store: T): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      let w = wrapped.get(key);
      if (!w) {
        const fn = value as (...args: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          let out: unknown;
          try {
            out = fn.apply(target, args);
          } catch (err) {
            throw translate(err);
          }
          return out instanceof Promise ? out.catch((err: unknown) => Promise.reject(translate(err))) : out;
        };
        wrapped.set(key, w);
      }
      return w;
    },
  });
}
