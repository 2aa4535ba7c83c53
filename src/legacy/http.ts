// Startalk's HTTP conventions (../shared/startalk/PROTOCOL.md §6): the {ret, errcode, errmsg, data}
// envelope, refusals as HTTP 200, JSON bodies read with a size limit.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A refusal in Startalk's envelope. COMPAT: sent with HTTP 200, as ihs and OpenResty do. */
export class LegacyError extends Error {
  constructor(readonly errcode: number, message: string, readonly httpStatus = 200) {
    super(message);
    this.name = 'LegacyError';
  }
}

/** errcodes seen in Startalk's services */
export const ERR = {
  BAD_INPUT: 1,
  UNKNOWN_USER: 2,
  /** also "ukey not match": the JSON user is not the cookie's user */
  FORBIDDEN: 3,
  NOT_FOUND: 404,
  INTERNAL: 500,
  /** ours: the database did not answer in time; retry (sent with HTTP 503 and Retry-After) */
  UNAVAILABLE: 503,
  CKEY: 5000,
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export function envelope(data: unknown, extra: Record<string, unknown> = {}) {
  return { ret: true, errcode: 0, errmsg: '', ...extra, data };
}

export function refusal(err: LegacyError) {
  return { ret: false, errcode: err.errcode, errmsg: err.message, data: '' };
}

/** Reads a JSON body of at most `limit` bytes; an empty body is {} (GET-style calls). */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new LegacyError(ERR.BAD_INPUT, `body over ${limit} bytes`, 413);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new LegacyError(ERR.BAD_INPUT, `body over ${limit} bytes`, 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new LegacyError(ERR.BAD_INPUT, 'body is not valid JSON');
  }
}

/** A JSON object's field as a string (COMPAT: clients send numbers and strings alike). */
export function str(obj: unknown, key: string): string | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const v = (obj as Record<string, unknown>)[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function num(obj: unknown, key: string): number | undefined {
  const s = str(obj, key);
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export function required(obj: unknown, key: string): string {
  const v = str(obj, key);
  if (v === undefined || v === '') throw new LegacyError(ERR.BAD_INPUT, `missing ${key}`);
  return v;
}
