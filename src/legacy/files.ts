// Startalk's file service, qfproxy (../shared/startalk/PROTOCOL.md §6.6): upload, download
// with Range, the inverted dedupe check; the {ret, msg, data} envelope and X-QFProxy-Code.
// Differences, on purpose: uploads need a signed-in user (q_ckey or a GraphQL bearer token;
// qfproxy was open), and downloads need one too, or a signed URL, unless FILES_PUBLIC_URLS.
// Also here: the PUT target of presigned uploads when files are on the local disk.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { User } from '../core/accounts/types.js';
import { isAppError } from '../core/errors.js';
import { parseRange, sanitizeName } from '../core/files/content.js';
import type { FileKind, FileRecord } from '../core/files/types.js';
import { authenticateCKey, ckeyFrom } from './ckey.js';
import { RAW, type LegacyDeps, type LegacyRoute } from './router.js';

/** qfproxy's X-QFProxy-Code values */
const QF = { BAD_TYPE: 101, BAD_KEY: 103, EXISTS: 202, FAILED: 304, AUTH: 501 } as const;
const KINDS: Record<string, FileKind> = { img: 'image', file: 'file', avatar: 'avatar' };
const KEY_RE = /^[A-Za-z0-9_.-]{1,128}$/;
/** room for multipart boundaries and headers around the file part */
const MULTIPART_SLACK = 64 * 1024;

function qf(res: ServerResponse, status: number, code: number | null, ret: boolean, msg: string, data: unknown = ''): typeof RAW {
  const text = JSON.stringify({ ret, msg, data });
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  if (code !== null) headers['x-qfproxy-code'] = code;
  if (status === 413) headers.connection = 'close';
  const req = res.req;
  if (!req.complete) {
    // An early refusal leaves the body unread, which would hold the connection (and block a
    // server close): discard what is still coming, and cut it after 2 s (oversize bodies).
    headers.connection = 'close';
    req.unpipe();
    req.resume();
    res.once('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
  }
  res.writeHead(status, headers).end(text);
  return RAW;
}

/** the user of a q_ckey cookie/header or of a GraphQL bearer token; null when neither proves one */
async function signedIn(deps: LegacyDeps, req: IncomingMessage): Promise<User | null> {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return (await deps.core.accounts.authenticate(auth.slice(7).trim()))?.user ?? null;
  if (!ckeyFrom(req)) return null;
  return authenticateCKey(deps.core, deps.domain, req).catch(() => null);
}

/** failures of the upload path as qfproxy answers */
function refuse(res: ServerResponse, err: unknown, log: LegacyDeps['log']): typeof RAW {
  if (res.headersSent) {
    res.destroy();
    return RAW;
  }
  if (isAppError(err)) {
    const reason = err.details?.reason;
    if (reason === 'TOO_LARGE') return qf(res, 413, QF.FAILED, false, err.message);
    if (reason === 'BAD_TYPE') return qf(res, 415, QF.BAD_TYPE, false, err.message);
    if (err.code === 'FORBIDDEN' || err.code === 'UNAUTHENTICATED') return qf(res, 403, QF.AUTH, false, err.message);
    if (err.code === 'BAD_USER_INPUT') return qf(res, 400, QF.FAILED, false, err.message);
    if (err.code === 'UNAVAILABLE') return qf(res, 503, QF.FAILED, false, err.message);
  }
  log.error({ err }, 'file upload failed');
  return qf(res, 500, QF.FAILED, false, 'upload failed');
}

/** the single `file` part of a multipart body, streamed into the store */
function receiveMultipart(deps: LegacyDeps, req: IncomingMessage, user: User, kind: FileKind, name: string | null): Promise<FileRecord> {
  const limit = deps.core.files.limit(kind);
  return new Promise<FileRecord>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: limit + 1, fields: 20, fieldSize: 4096, parts: 25 } });
    } catch {
      return reject(Object.assign(new Error('not multipart'), { multipart: true }));
    }
    let work: Promise<FileRecord> | null = null;
    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || work) return void stream.resume();
      work = deps.core.files.ingest(user, { name: name ?? info.filename ?? 'file', kind, source: stream, contentType: info.mimeType });
      // an early failure (oversize, bad type) must not wait for the rest of the body
      work.catch((err) => {
        req.unpipe(bb);
        reject(err);
      });
    });
    bb.on('error', (err) => reject(err));
    bb.on('close', () => {
      if (!work) return reject(Object.assign(new Error('no file part'), { multipart: true }));
      work.then(resolve, reject);
    });
    req.on('error', reject);
    // a client that goes away mid-body: fail the file stream so its temp file is removed
    req.on('close', () => {
      if (!req.complete) bb.destroy(new Error('upload aborted'));
    });
    req.pipe(bb);
  });
}

export function fileRoutes(deps: LegacyDeps): LegacyRoute[] {
  const files = deps.core.files;

  const upload = (kind: FileKind): LegacyRoute => ({
    path: `/file/v2/upload/${kind === 'image' ? 'img' : kind}`,
    auth: 'none',
    rawBody: true,
    async handle({ req, res, url }) {
      if (req.method !== 'POST') return qf(res, 405, null, false, 'POST a multipart form');
      const user = await signedIn(deps, req);
      if (!user || user.frozen) return qf(res, 401, QF.AUTH, false, 'sign in: q_ckey cookie or Authorization: Bearer');
      const key = url.searchParams.get('key');
      if (!key || !KEY_RE.test(key)) return qf(res, 400, QF.BAD_KEY, false, 'bad key');
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > files.limit(kind) + MULTIPART_SLACK) {
        return qf(res, 413, QF.FAILED, false, `file is larger than ${files.limit(kind)} bytes`);
      }
      try {
        const file = await receiveMultipart(deps, req, user, kind, url.searchParams.get('name'));
        return qf(res, 200, null, true, 'ok', files.downloadPath(file));
      } catch (err) {
        if ((err as { multipart?: boolean }).multipart) return qf(res, 400, QF.FAILED, false, (err as Error).message);
        return refuse(res, err, deps.log);
      }
    },
  });

  const download: LegacyRoute['handle'] = async ({ req, res, url }) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return qf(res, 405, null, false, 'GET only');
    const key = decodeURIComponent(url.pathname.replace(/^.*\/download\//, ''));
    const file = await files.byKey(key);
    if (!file) return qf(res, 404, QF.BAD_KEY, false, 'file not found');
    if (!files.opts.publicUrls && !files.downloadSignatureOk(file.sha256!, url.searchParams.get('e'), url.searchParams.get('s'))) {
      if (!(await signedIn(deps, req))) return qf(res, 403, QF.AUTH, false, 'sign in or use a signed URL');
    }
    const range = parseRange(req.headers.range as string | undefined, file.size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${file.size}` }).end();
      return RAW;
    }
    // without ?name=, the key: the row found may be another user's upload, whose name is theirs
    const name = sanitizeName(url.searchParams.get('name') ?? key);
    const inline = file.contentType.startsWith('image/');
    const headers: Record<string, string | number> = {
      'content-type': file.contentType,
      'content-length': range ? range.end - range.start + 1 : file.size,
      'accept-ranges': 'bytes',
      etag: `"${file.sha256}"`,
      'cache-control': files.opts.publicUrls ? 'public, max-age=31536000, immutable' : 'private, max-age=3600',
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    };
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${file.size}`;
    if (req.headers['if-none-match'] === headers.etag) {
      res.writeHead(304, { etag: headers.etag }).end();
      return RAW;
    }
    const body = await files.open(file, range ?? undefined);
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return RAW;
    }
    await pipeline(body, res).catch(() => res.destroy());
    return RAW;
  };

  const inspection: LegacyRoute['handle'] = async ({ req, res, url }) => {
    const kind = url.pathname.split('/').pop() ?? '';
    if (!(kind in KINDS)) return qf(res, 400, QF.BAD_TYPE, false, 'bad type');
    if (!(await signedIn(deps, req))) return qf(res, 401, QF.AUTH, false, 'sign in: q_ckey cookie or Authorization: Bearer');
    const key = url.searchParams.get('key') ?? '';
    if (!KEY_RE.test(key)) return qf(res, 400, QF.BAD_KEY, false, 'bad key');
    const file = await files.byKey(key);
    // COMPAT: inverted — ret true means "not there, upload it"
    if (!file) return qf(res, 200, null, true, '文件不存在');
    // the path under the name the asker gives: the row found may be another user's upload, whose name is theirs
    const named = { ...file, name: sanitizeName(url.searchParams.get('name') ?? key) };
    return qf(res, 200, QF.EXISTS, false, '文件已存在', files.downloadPath(named));
  };

  const signedPut: LegacyRoute['handle'] = async ({ req, res, url }) => {
    if (req.method !== 'PUT') return qf(res, 405, null, false, 'PUT the bytes');
    const id = url.pathname.split('/').pop() ?? '';
    const length = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
    try {
      await files.receiveSigned(id, { e: url.searchParams.get('e'), s: url.searchParams.get('s') },
        { length: Number.isFinite(length) ? length : null, type: req.headers['content-type'] ?? null }, req);
      return qf(res, 200, null, true, 'ok');
    } catch (err) {
      return refuse(res, err, deps.log);
    }
  };

  return [
    upload('image'), upload('file'), upload('avatar'),
    { path: '/file/v1/download/', auth: 'none', prefix: true, handle: download },
    { path: '/file/v2/download/', auth: 'none', prefix: true, handle: download },
    { path: '/file/v2/inspection/', auth: 'none', prefix: true, handle: inspection },
    { path: '/files/upload/', auth: 'none', prefix: true, rawBody: true, handle: signedPut },
  ];
}
