// Accounts: login/logout with opaque tokens, user administration, password changes.
import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { badInput, forbidden, notFound, rateLimited, unauthenticated } from '../errors.js';
import { ChangeFeed } from '../events/changes.js';
import type { Bus } from '../events/ports.js';
import { RateLimiter } from '../rate-limit.js';
import { TtlMap } from '../ttl-map.js';
import type { AccountStore } from './ports.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import type { AuthSession, User, UserId, UserPatch } from './types.js';

export interface AccountOptions {
  domain: string;
  sessionTtlMs: number;
  /** failed-login attempts allowed per minute per account */
  loginAttemptsPerMinute: number;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: User;
}

export interface CreateUserInput {
  username: string;
  password: string;
  displayName?: string | null;
  pinyin?: string | null;
  department?: string | null;
  avatarUrl?: string | null;
  isAdmin?: boolean | null;
}

// Startalk user_id rule: lowercase letters, digits and -_. (PROTOCOL.md §7 host_users).
export interface UpdateUserInput {
  displayName?: string | null;
  pinyin?: string | null;
  department?: string | null;
  avatarUrl?: string | null;
  frozen?: boolean | null;
  isAdmin?: boolean | null;
  password?: string | null;
}

const SESSION_CACHE_MS = 30_000;
const USER_CACHE_MS = 60_000;

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_PASSWORD = 1024;
const MAX_TEXT = 256;

/** Which sessions of a user ended: one, all but one, or (neither set) all. */
export interface SessionsEnded {
  userId: UserId;
  sessionId?: string;
  exceptSessionId?: string;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export class AccountService {
  /** id -> user; profile edits on another node show here within USER_CACHE_MS */
  private readonly userCache = new TtlMap<UserId, User>(USER_CACHE_MS, 50_000);
  /** token hash -> session, for SESSION_CACHE_MS: a request must not cost a session read */
  private readonly sessionCache = new TtlMap<string, AuthSession>(SESSION_CACHE_MS, 100_000);
  /** "domain/name" -> user id (names never change owner) */
  private readonly idByName = new LRUCache<string, UserId>({ max: 200_000 });
  private readonly loginLimiter: RateLimiter;
  /** told, before the call returns, when sessions end (push devices registered by them stop) */
  private readonly endListeners: ((ended: SessionsEnded) => Promise<void>)[] = [];

  constructor(
    private readonly store: AccountStore,
    private readonly bus: Bus,
    private readonly opts: AccountOptions,
    private readonly changes: ChangeFeed = new ChangeFeed(),
  ) {
    // A bus that lost its connection may have dropped revocations: trust no cached session.
    bus.subscribe((env) => env.revoke && this.forgetSessions(env.revoke.userId), () => this.sessionCache.clear());
    this.loginLimiter = new RateLimiter(opts.loginAttemptsPerMinute / 60, opts.loginAttemptsPerMinute);
  }

  get domain(): string {
    return this.opts.domain;
  }

  /** First start: the domain and an admin account. Returns the generated password, if one was made. */
  async bootstrap(adminPassword: string | undefined): Promise<{ generatedPassword?: string }> {
    await this.store.ensureDomain(this.opts.domain);
    const existing = await this.store.findUserByName(this.opts.domain, 'admin');
    if (existing) return {};
    const password = adminPassword ?? randomBytes(12).toString('base64url');
    try {
      const admin = await this.store.createUser({
        domain: this.opts.domain, username: 'admin', displayName: 'Administrator', isAdmin: true,
        passwordHash: await hashPassword(password),
      });
      await this.changes.emit({ kind: 'user.changed', user: admin, at: Date.now() });
    } catch (e) {
      if ((e as { code?: string }).code === 'CONFLICT') return {}; // another node just created it
      throw e;
    }
    return adminPassword ? {} : { generatedPassword: password };
  }

  /** Checks a username/password pair; used by GraphQL login and by the bridge's SASL. */
  async checkPassword(username: string, password: string, domain = this.opts.domain): Promise<User> {
    const name = username.trim().toLowerCase();
    if (!name || password.length === 0 || password.length > MAX_PASSWORD || name.length > 64) {
      throw unauthenticated('invalid username or password');
    }
    const key = `${domain}/${name}`;
    const waitMs = this.loginLimiter.peek(key);
    if (waitMs > 0) throw rateLimited('too many failed login attempts, try again later', waitMs);
    const row = await this.store.findUserWithSecret(domain, name);
    if (!row) {
      // An unknown name costs the same hash as a wrong password: timing must not tell who has an account.
      await verifyPassword(password, await this.dummyHash(), null);
    }
    if (!row || !(await verifyPassword(password, row.passwordHash, row.passwordSalt))) {
      this.loginLimiter.take(key); // only failures count
      throw unauthenticated('invalid username or password');
    }
    if (row.frozen) throw forbidden('account is frozen');
    if (needsRehash(row.passwordHash)) {
      // Imported Startalk hashes are upgraded on the first successful login.
      await this.store.setPassword(row.id, await hashPassword(password), null);
    }
    const { passwordHash: _h, passwordSalt: _s, ...user } = row;
    return user;
  }

  private dummy: Promise<string> | undefined;

  /** A scrypt hash of a random password, made once, checked against when the user is unknown. */
  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBytes(16).toString('base64url'));
    return this.dummy;
  }

  async login(username: string, password: string, userAgent: string | null = null): Promise<LoginResult> {
    const user = await this.checkPassword(username, password);
    return this.issueToken(user, userAgent);
  }

  async issueToken(user: User, userAgent: string | null): Promise<LoginResult> {
    const token = `stn_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + this.opts.sessionTtlMs);
    await this.store.createSession(user.id, hashToken(token), expiresAt, userAgent?.slice(0, 256) ?? null);
    return { token, expiresAt, user };
  }

  /** Resolves a bearer token to its session; null when absent, expired, revoked or frozen. */
  async authenticate(token: string | null | undefined): Promise<AuthSession | null> {
    if (!token || token.length > 200) return null;
    const hash = hashToken(token);
    const now = Date.now();
    const hit = this.sessionCache.get(hash);
    if (hit && hit.expiresAt.getTime() > now) return hit;
    const session = await this.store.findLiveSession(hash, new Date(now));
    if (!session || session.user.frozen) return null; // misses are not cached
    this.sessionCache.set(hash, session);
    return session;
  }

  /** Revocations reach every node on the bus; cached sessions of that user are dropped. */
  private forgetSessions(userId: UserId): void {
    this.sessionCache.deleteWhere((session) => session.user.id === userId);
    this.userCache.delete(userId);
  }

  /** Runs `fn` whenever sessions end: one (logout), all but one (password change), or all. */
  onSessionsEnded(fn: (ended: SessionsEnded) => Promise<void>): void {
    this.endListeners.push(fn);
  }

  private async sessionsEnded(ended: SessionsEnded): Promise<void> {
    for (const fn of this.endListeners) await fn(ended);
  }

  async logout(session: AuthSession): Promise<void> {
    await this.store.revokeSession(session.id);
    this.forgetSessions(session.user.id);
    this.bus.publish({ revoke: { userId: session.user.id, sessionId: session.id } });
    await this.sessionsEnded({ userId: session.user.id, sessionId: session.id });
  }

  async changePassword(session: AuthSession, oldPassword: string, newPassword: string): Promise<void> {
    validatePassword(newPassword);
    const row = await this.store.findUserWithSecret(session.user.domain, session.user.username);
    if (!row || !(await verifyPassword(oldPassword, row.passwordHash, row.passwordSalt))) {
      throw forbidden('current password is wrong');
    }
    await this.store.setPassword(row.id, await hashPassword(newPassword), null);
    await this.store.revokeUserSessions(row.id, session.id);
    this.forgetSessions(row.id);
    this.bus.publish({ revoke: { userId: row.id, exceptSessionId: session.id } });
    await this.sessionsEnded({ userId: row.id, exceptSessionId: session.id });
  }

  async createUser(actor: User, input: CreateUserInput): Promise<User> {
    requireAdmin(actor);
    return this.systemCreateUser(input);
  }

  /**
   * Creates a user for the deployment's admin tools (callers check permission). With
   * `legacyHash` the password is a Startalk "CRY:" hash and its salt instead of a password:
   * the user keeps their old password; it is upgraded to scrypt at the first login.
   */
  async systemCreateUser(
    input: Omit<CreateUserInput, 'password'> & { password?: string | null }, legacyHash?: { hash: string; salt: string | null },
  ): Promise<User> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME_RE.test(username)) {
      throw badInput('username must be 1-64 characters: lowercase letters, digits, ".", "_" or "-"', { field: 'username' });
    }
    if ((input.password == null) === (legacyHash === undefined)) throw badInput('give exactly one of password and passwordHash', { field: 'password' });
    if (legacyHash && !/^CRY:[0-9a-fA-F]{32}$/.test(legacyHash.hash)) {
      throw badInput('passwordHash must be a Startalk "CRY:" hash (CRY: and 32 hex digits)', { field: 'passwordHash' });
    }
    if (legacyHash?.salt != null && (legacyHash.salt.length > 256 || legacyHash.salt.includes('\u0000'))) {
      throw badInput('passwordSalt is longer than 256 characters or contains a NUL', { field: 'passwordSalt' });
    }
    if (input.password != null) validatePassword(input.password);
    const user = await this.store.createUser({
      domain: this.opts.domain,
      username,
      displayName: text(input.displayName, 'displayName') ?? username,
      pinyin: text(input.pinyin, 'pinyin'),
      department: text(input.department, 'department'),
      avatarUrl: text(input.avatarUrl, 'avatarUrl'),
      isAdmin: input.isAdmin ?? false,
      passwordHash: legacyHash ? `CRY:${legacyHash.hash.slice(4).toLowerCase()}` : await hashPassword(input.password!),
      passwordSalt: legacyHash ? legacyHash.salt ?? '' : null,
    });
    await this.changes.emit({ kind: 'user.changed', user, at: Date.now() });
    return user;
  }

  /** Admin edit; an omitted field is unchanged, a null clears it (ignored for required fields). */
  async updateUser(actor: User, id: UserId, patch: UpdateUserInput): Promise<User> {
    requireAdmin(actor);
    return this.systemUpdateUser(actor.id, id, patch);
  }

  /**
   * The same for admin tools; actorId (when a person acts) may not freeze or demote themselves.
   * `guard` sees the account as stored now (not cached) and may refuse by throwing.
   */
  async systemUpdateUser(actorId: UserId | null, id: UserId, patch: UpdateUserInput, guard?: (current: User) => void): Promise<User> {
    if (!/^\d{1,19}$/.test(id)) throw notFound('unknown user');
    let before: User | undefined;
    if (guard || patch.isAdmin != null) {
      [before] = await this.store.findUsersByIds([id]);
      if (!before) throw notFound('unknown user');
      guard?.(before);
    }
    if (id === actorId && (patch.frozen === true || patch.isAdmin === false)) {
      throw badInput('an admin cannot freeze or demote their own account');
    }
    const clean: UserPatch = {};
    if (patch.displayName != null) clean.displayName = text(patch.displayName, 'displayName') ?? undefined;
    if (patch.pinyin !== undefined) clean.pinyin = text(patch.pinyin, 'pinyin');
    if (patch.department !== undefined) clean.department = text(patch.department, 'department');
    if (patch.avatarUrl !== undefined) clean.avatarUrl = text(patch.avatarUrl, 'avatarUrl');
    if (patch.frozen != null) clean.frozen = patch.frozen;
    if (patch.isAdmin != null) clean.isAdmin = patch.isAdmin;
    if (patch.password != null) validatePassword(patch.password);
    const user = await this.store.updateUser(id, clean);
    if (patch.password != null) await this.store.setPassword(id, await hashPassword(patch.password), null);
    // A role change ends the account's sessions like a logout, on every node: a demoted admin's
    // token (and its subscriptions) must not keep the rights it was issued with.
    const roleChanged = before !== undefined && clean.isAdmin !== undefined && clean.isAdmin !== before.isAdmin;
    if (clean.frozen || patch.password != null || roleChanged) await this.revokeAll(id);
    this.userCache.delete(id);
    await this.changes.emit({ kind: 'user.changed', user, at: Date.now() });
    return user;
  }

  /**
   * Ends every session of the user on every node: tokens stop working, GraphQL subscriptions
   * and XMPP sessions close (the bus `revoke` envelope reaches each node's hub).
   */
  async revokeAll(userId: UserId): Promise<void> {
    await this.store.revokeUserSessions(userId);
    this.forgetSessions(userId); // at once here; other nodes when the bus delivers
    this.bus.publish({ revoke: { userId } });
    await this.sessionsEnded({ userId });
  }

  /** The user's own profile: mood line and avatar URL (Startalk set_profile). */
  async updateProfile(actor: User, patch: { mood?: string | null; avatarUrl?: string | null }): Promise<User> {
    const clean: UserPatch = {};
    if (patch.mood !== undefined) clean.mood = text(patch.mood, 'mood');
    if (patch.avatarUrl !== undefined) {
      clean.avatarUrl = text(patch.avatarUrl, 'avatarUrl');
      if (clean.avatarUrl && !/^(https?:\/\/|\/)/i.test(clean.avatarUrl)) throw badInput('avatarUrl must be an http(s) URL or a path', { field: 'avatarUrl' });
    }
    const user = await this.store.updateUser(actor.id, clean);
    this.userCache.delete(actor.id);
    await this.changes.emit({ kind: 'user.changed', user, at: Date.now() });
    return user;
  }

  /**
   * Org list changes after a version (Startalk getUpdateUsers): users of the viewer's domain;
   * frozen ones are reported so clients drop them.
   */
  async orgChanges(viewer: User, afterVersion: string, limit: number): Promise<{ user: User; orgVersion: string }[]> {
    if (!/^\d{1,19}$/.test(afterVersion)) throw badInput('version must be a non-negative integer');
    return this.store.orgChanges(viewer.domain, afterVersion, limit);
  }

  /** Resolves a peer given as "name" or "name@domain". */
  async findByAddress(address: string): Promise<User> {
    const [name, domain] = address.trim().toLowerCase().split('@', 2);
    if (!name || !USERNAME_RE.test(name)) throw badInput(`"${address.slice(0, 80)}" is not a valid user address`);
    const key = `${domain || this.opts.domain}/${name}`;
    const id = this.idByName.get(key);
    const cached = id !== undefined ? this.userCache.get(id) : undefined;
    if (cached) return cached;
    const user = await this.store.findUserByName(domain || this.opts.domain, name);
    if (!user) throw notFound(`unknown user "${address.slice(0, 80)}"`);
    this.idByName.set(key, user.id);
    this.userCache.set(user.id, user);
    return user;
  }

  /** Users by id through a process cache: event delivery must not read the database per message. */
  async usersByIds(ids: readonly UserId[]): Promise<Map<UserId, User>> {
    const out = new Map<UserId, User>();
    const missing: UserId[] = [];
    for (const id of ids) {
      const u = this.userCache.get(id);
      if (u) out.set(id, u);
      else missing.push(id);
    }
    if (missing.length) {
      for (const u of await this.store.findUsersByIds(missing)) {
        this.userCache.set(u.id, u);
        out.set(u.id, u);
      }
    }
    return out;
  }

  async userById(id: UserId): Promise<User> {
    const u = (await this.usersByIds([id])).get(id);
    if (!u) throw notFound('unknown user');
    return u;
  }
}

function requireAdmin(actor: User): void {
  if (!actor.isAdmin) throw forbidden('admin only');
}

function validatePassword(pw: string): void {
  if (pw.length < 8 || pw.length > MAX_PASSWORD) {
    throw badInput(`password must be 8-${MAX_PASSWORD} characters`, { field: 'password' });
  }
}

function text(v: string | null | undefined, field: string): string | null {
  if (v == null) return null;
  const t = v.trim();
  if (t.length > MAX_TEXT) throw badInput(`${field} is longer than ${MAX_TEXT} characters`, { field });
  if (t.includes('\u0000')) throw badInput(`${field} contains a NUL character`, { field });
  return t || null;
}

