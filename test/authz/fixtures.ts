// Fixtures of the authorization matrix, created once per file: the principals' credentials, a
// group where each user plays one role, a 1:1 conversation of owner and gadmin, a file the owner
// sent in the group (after `removed` left it), and ids of the same shape that do not exist.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_SCOPES } from '../../src/core/admin/scopes.js';
import { ADMIN_PASSWORD, bulkUsers, startTestApp, type GqlResult, type TestApp } from '../helpers/app.js';
import { USERS, type Principal, type UserName } from './principals.js';

export const PASSWORD = 'password-123';

export interface Fx {
  t: TestApp;
  base: string;
  tokens: Record<Principal, string | undefined>;
  userIds: Record<UserName, string>;
  group: string;
  groupConv: string;
  /** sent by owner in the group after `removed` left */
  groupMsg: string;
  dmConv: string;
  /** owner -> gadmin */
  dmMsg: string;
  /** uploaded by owner, sent in the group after `removed` left */
  file: string;
  /** event and integration cursors from before the fixtures */
  cursor0: string;
  icursor0: string;
  missing: { group: string; conv: string; msg: string; file: string };
  gql(p: Principal, doc: string, vars?: Record<string, unknown>, token?: string): Promise<GqlResult>;
  ok(p: Principal, doc: string, vars?: Record<string, unknown>): Promise<any>;
  /** a group shaped like the shared one (owner, gadmin as ADMIN, member, removed removed), plus `bystander` */
  freshGroup(): Promise<string>;
  /** a user nobody else uses (kick, update, …) */
  freshUser(prefix: string): Promise<{ id: string; username: string; token: string }>;
  /** another session of a user (logout) */
  freshToken(p: UserName): Promise<string>;
  /** owner's upload, declared and stored but not completed */
  pendingUpload(name?: string): Promise<{ uploadId: string; sha256: string }>;
  close(): Promise<void>;
}

let seq = 0;
export const uniq = (p: string) => `${p}${Date.now().toString(36)}${(seq++).toString(36)}`;

/** an id of the same shape as `id` that names nothing */
export function missingLike(id: string): string {
  if (/^\d+$/.test(id)) return String(BigInt(id) + 7_777_777n);
  if (/^[0-9a-f-]{36}$/i.test(id)) return '00000000-0000-4000-8000-00000000dead';
  return `${id.slice(0, -4)}${id.slice(-4) === 'zzzz' ? 'yyyy' : 'zzzz'}`;
}

export async function setupFixtures(env: Record<string, string> = {}): Promise<Fx> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stn-authz-'));
  const t = await startTestApp({
    SEND_RATE_PER_SEC: '0', LOGIN_ATTEMPTS_PER_MINUTE: '100000', XMPP_PORT: '0', PB_PORT: '0', PRESENCE_EVENT_INTERVAL_MS: '0', WEBHOOK_ALLOW_HOSTS: '127.0.0.1', DATA_DIR: dataDir, ...env,
  });
  const base = t.url.replace(/\/graphql$/, '');
  const tokens = { anon: undefined, badToken: `stn_${randomBytes(24).toString('base64url')}`, admin: t.adminToken } as Record<Principal, string | undefined>;
  const gql = (p: Principal, doc: string, vars?: Record<string, unknown>, token?: string) => t.gql(doc, vars, token ?? tokens[p]);
  const ok = async (p: Principal, doc: string, vars?: Record<string, unknown>) => {
    const r = await gql(p, doc, vars);
    if (r.errors?.length) throw new Error(`${p}: ${doc}: ${JSON.stringify(r.errors)}`);
    return r.data;
  };

  const cursor0 = (await ok('admin', '{ eventCursor }')).eventCursor as string;
  const userIds = {} as Record<UserName, string>;
  userIds.admin = (await ok('admin', '{ me { id } }')).me.id;
  for (const u of USERS) {
    if (u === 'admin') continue;
    const c = await t.createUser(u, PASSWORD);
    userIds[u] = c.id;
    tokens[u] = c.token;
  }
  await t.createUser('bystander', PASSWORD); // a plain member of fresh groups, for others to act on
  for (const s of API_SCOPES) {
    const k = await ok('admin', 'mutation($n:String!,$s:[ApiScope!]!){ createApiKey(name:$n, scopes:$s){ secret } }', { n: `k-${s}`, s: [s] });
    tokens[`key:${s}`] = k.createApiKey.secret;
  }
  const icursor0 = (await ok('key:EVENTS_READ', '{ integrationCursor }')).integrationCursor as string;

  const freshGroup = async () => {
    const g = (await ok('owner', 'mutation($i:CreateGroupInput!){ createGroup(input:$i){ id } }', {
      i: { name: uniq('grp-'), members: ['gadmin', 'member', 'removed', 'bystander'] },
    })).createGroup.id as string;
    await ok('owner', 'mutation($g:ID!){ setGroupRole(groupId:$g, user:"gadmin", role:ADMIN){ id } }', { g });
    await ok('owner', 'mutation($g:ID!){ removeFromGroup(groupId:$g, user:"removed"){ id } }', { g });
    return g;
  };

  // the shared group: a message while `removed` was in it, then the removal, then more
  const group = (await ok('owner', 'mutation($i:CreateGroupInput!){ createGroup(input:$i){ id } }', {
    i: { name: 'authz-shared-group', members: ['gadmin', 'member', 'removed'] },
  })).createGroup.id as string;
  await ok('owner', 'mutation($g:ID!){ setGroupRole(groupId:$g, user:"gadmin", role:ADMIN){ id } }', { g: group });
  const SEND_G = 'mutation($g:ID!,$b:String!){ sendGroupMessage(input:{groupId:$g, body:$b}){ id conversationId } }';
  const early = (await ok('member', SEND_G, { g: group, b: 'before the removal' })).sendGroupMessage;
  await ok('owner', 'mutation($g:ID!){ removeFromGroup(groupId:$g, user:"removed"){ id } }', { g: group });
  const groupMsg = (await ok('owner', SEND_G, { g: group, b: 'after the removal' })).sendGroupMessage.id as string;
  await ok('owner', 'mutation($g:ID!){ updateGroup(groupId:$g, input:{topic:"after-removal-topic"}){ id } }', { g: group });

  const dm = (await ok('owner', 'mutation{ sendMessage(input:{to:"gadmin", body:"just us"}){ id conversationId } }')).sendMessage;
  await ok('gadmin', 'mutation{ sendMessage(input:{to:"owner", body:"yes, just us"}){ id } }');
  // every user has something to replay after cursor0
  for (const u of USERS) if (u !== 'admin') await ok('admin', 'mutation($to:String!){ sendMessage(input:{to:$to, body:"hello from admin"}){ id } }', { to: u });
  await ok('stranger', 'mutation{ sendMessage(input:{to:"admin", body:"hello admin"}){ id } }');

  const pendingUpload = async (name = `${uniq('f-')}.bin`) => {
    const bytes = randomBytes(64);
    const tk = (await ok('owner', `mutation($n:String!,$s:Float!){ requestUpload(name:$n, size:$s, contentType:"application/octet-stream"){
      uploadId url method fields { name value } headers { name value } } }`, { n: name, s: bytes.length })).requestUpload;
    const abs = tk.url.startsWith('/') ? base + tk.url : tk.url;
    let res: Response;
    if (tk.method === 'PUT') {
      res = await fetch(abs, { method: 'PUT', headers: Object.fromEntries(tk.headers.map((h: any) => [h.name, h.value])), body: new Uint8Array(bytes) });
    } else {
      const form = new FormData();
      for (const f of tk.fields) form.append(f.name, f.value);
      form.append('file', new Blob([new Uint8Array(bytes)]), 'upload.bin');
      res = await fetch(abs, { method: 'POST', body: form });
    }
    if (res.status >= 300) throw new Error(`upload failed: ${res.status}`);
    return { uploadId: tk.uploadId as string, sha256: createHash('sha256').update(bytes).digest('hex') };
  };
  const up = await pendingUpload('quarterly-secret-plan.bin');
  const file = (await ok('owner', 'mutation($u:ID!,$h:String!){ completeUpload(uploadId:$u, sha256:$h){ id } }', { u: up.uploadId, h: up.sha256 })).completeUpload.id as string;
  await ok('owner', 'mutation($f:ID!,$g:ID!){ sendFile(input:{fileId:$f, groupId:$g}){ id } }', { f: file, g: group });

  const freshToken = async (p: UserName) => {
    const token = `stn_${randomBytes(24).toString('base64url')}`;
    await t.db.query(
      `INSERT INTO auth_sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day')`,
      [userIds[p], createHash('sha256').update(token).digest('hex')],
    );
    return token;
  };
  // rows and a session written directly: a password hash per cell would dominate the run time
  const freshUser = async (prefix: string) => (await bulkUsers(t, uniq(prefix), 1))[0]!;

  return {
    t, base, tokens, userIds, group, groupConv: early.conversationId, groupMsg, dmConv: dm.conversationId, dmMsg: dm.id, file, cursor0, icursor0,
    missing: { group: missingLike(group), conv: missingLike(dm.conversationId), msg: missingLike(dm.id), file: missingLike(file) },
    gql, ok, freshGroup, freshUser, freshToken, pendingUpload,
    close: () => t.close(),
  };
}

export { ADMIN_PASSWORD };
