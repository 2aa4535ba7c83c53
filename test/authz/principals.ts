// The principals of the authorization matrix (issue 14) and the expected outcomes of a cell.
// Users are named after the role they play around the fixtures: `owner` owns the group and
// uploaded the file, `gadmin` is a group admin, `member` a plain member, `removed` was a member
// and was removed, `stranger` shares nothing with anyone; `admin` is an admin user.
import { API_SCOPES, type ApiScope } from '../../src/core/admin/scopes.js';

export const USERS = ['owner', 'gadmin', 'member', 'removed', 'stranger', 'admin'] as const;
export type UserName = (typeof USERS)[number];
export type KeyName = `key:${ApiScope}`;
/** badToken: a bearer token that was never issued */
export type Principal = 'anon' | 'badToken' | UserName | KeyName;
export const KEYS = API_SCOPES.map((s) => `key:${s}` as KeyName);
export const PRINCIPALS: Principal[] = ['anon', 'badToken', ...USERS, ...KEYS];

/**
 * ok: answered without errors; unauth: UNAUTHENTICATED; forbidden: FORBIDDEN;
 * hidden: NOT_FOUND, and the same error (code, message, data) as for an id that does not exist;
 * bad: BAD_USER_INPUT (allowed to ask, but the request makes no sense for them).
 */
export type Outcome = 'ok' | 'unauth' | 'forbidden' | 'hidden' | 'bad';
export type Row = Record<Principal, Outcome>;

const fill = (o: Partial<Row> & { users?: Outcome; keys?: Outcome }): Row => {
  const row = {} as Row;
  for (const p of PRINCIPALS) {
    const group = p === 'anon' ? undefined : p === 'badToken' ? o.anon : p.startsWith('key:') ? o.keys : o.users;
    row[p] = (o[p] ?? group ?? 'unauth') as Outcome;
  }
  return row;
};

/** Any signed-in user (the same outcome for each); API keys never act as a user. */
export const anyUser = (o: Outcome = 'ok', over: Partial<Row> = {}) => fill({ users: o, keys: 'forbidden', ...over });

/** Admin users and keys holding `scope`; everyone else signed in is refused. */
export const scoped = (scope: ApiScope | null) =>
  fill({ users: 'forbidden', keys: 'forbidden', admin: 'ok', ...(scope ? { [`key:${scope}`]: 'ok' } : {}) });

/** Something inside the shared group: outsiders (removed, stranger, admin) must not learn it exists. */
export const inGroup = (o: { owner?: Outcome; gadmin?: Outcome; member?: Outcome } = {}) =>
  fill({ users: 'hidden', keys: 'forbidden', owner: o.owner ?? 'ok', gadmin: o.gadmin ?? 'ok', member: o.member ?? 'ok' });

/** Something of the 1:1 conversation of owner and gadmin. */
export const inDm = (o: { owner?: Outcome; gadmin?: Outcome } = {}) =>
  fill({ users: 'hidden', keys: 'forbidden', owner: o.owner ?? 'ok', gadmin: o.gadmin ?? 'ok' });

/** Anyone, signed in or not (login). */
export const everyone = (o: Outcome = 'ok') => fill({ anon: o, users: o, keys: o });
