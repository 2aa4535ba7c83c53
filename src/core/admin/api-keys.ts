// API keys for integrators: "stk_<id>_<secret>", shown once; only SHA-256(secret) is stored and
// compared in constant time. A key acts with exactly its scopes and never as a user.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { badInput, forbidden, notFound, unauthenticated } from '../errors.js';
import { TtlMap } from '../ttl-map.js';
import type { Bus } from '../events/ports.js';
import type { ApiKeyStore } from './ports.js';
import { API_SCOPES, type ApiKeyInfo, type ApiScope, type Principal } from './scopes.js';

/** How long a checked token is trusted; revocation reaches every node at once over the bus. */
const CACHE_MS = 10_000;
const TOUCH_MS = 60_000;
const KEY_RE = /^stk_(\d{1,19})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export const isApiKeyToken = (token: string) => token.startsWith('stk_');

export class ApiKeyService {
  /**
   * SHA-256 of the whole token -> its key, or false for a token that does not open one. Keyed
   * by the whole token, a made-up "stk_<next id>_…" can only poison itself, not the real key.
   */
  private readonly cache = new TtlMap<string, ApiKeyInfo | false>(CACHE_MS, 10_000);
  /** key id -> still valid, for streams held open by a key (only positive answers) */
  private readonly active = new TtlMap<string, true>(CACHE_MS, 10_000);
  private readonly touched = new TtlMap<string, true>(TOUCH_MS, 10_000);

  constructor(private readonly store: ApiKeyStore, private readonly bus: Bus) {
    bus.subscribe((env) => env.revokeKey && this.forget(env.revokeKey.keyId), () => this.cache.clear());
  }

  /** Admin users only (a key cannot mint keys, so never one with scopes it lacks). Returns the secret once. */
  async create(p: Principal | null, name: string, scopes: ApiScope[]): Promise<{ key: ApiKeyInfo; secret: string }> {
    const admin = adminUser(p);
    const clean = name.trim();
    if (!clean || clean.length > 100) throw badInput('name must be 1-100 characters', { field: 'name' });
    const set = [...new Set(scopes)];
    if (set.length === 0 || set.some((s) => !API_SCOPES.includes(s))) throw badInput('give at least one valid scope', { field: 'scopes' });
    const secret = randomBytes(32).toString('base64url');
    const key = await this.store.create(clean, set, sha256(secret).toString('hex'), admin.id);
    return { key, secret: `stk_${key.id}_${secret}` };
  }

  /** The key stops working on every node: cached checks are dropped, its streams end. */
  async revoke(p: Principal | null, id: string): Promise<boolean> {
    adminUser(p);
    if (!/^\d{1,19}$/.test(id)) throw notFound('unknown API key');
    const done = await this.store.revoke(id);
    this.forget(id);
    this.bus.publish({ revokeKey: { keyId: id } });
    return done;
  }

  private forget(id: string): void {
    this.cache.deleteWhere((k) => k !== false && k.id === id);
    this.active.delete(id);
  }

  async list(p: Principal | null): Promise<ApiKeyInfo[]> {
    adminUser(p);
    return this.store.list();
  }

  /** Still valid (not revoked); positive answers are cached briefly, a revocation drops them. */
  async isActive(id: string): Promise<boolean> {
    if (this.active.get(id)) return true;
    const row = await this.store.find(id);
    if (!row || row.revokedAt) return false;
    this.active.set(id, true);
    return true;
  }

  /** The key a bearer token names, or null (unknown, revoked, malformed or wrong secret). */
  async authenticate(token: string): Promise<ApiKeyInfo | null> {
    const m = KEY_RE.exec(token);
    if (!m) return null;
    const [, id, secret] = m as unknown as [string, string, string];
    const tokenHash = sha256(token).toString('hex');
    let hit = this.cache.get(tokenHash);
    if (hit === undefined) {
      const row = await this.store.find(id);
      hit = row && !row.revokedAt && timingSafeEqual(sha256(secret), Buffer.from(row.secretHash, 'hex')) ? strip(row) : false;
      this.cache.set(tokenHash, hit);
    }
    if (!hit) return null;
    if (!this.touched.get(id)) {
      this.touched.set(id, true);
      void this.store.touch(id).catch(() => {});
    }
    return hit;
  }
}

/** Keys are managed by admin users only: a key cannot mint or see keys. */
function adminUser(p: Principal | null) {
  if (!p) throw unauthenticated();
  if (p.kind !== 'user' || !p.user.isAdmin) throw forbidden('only an admin user can manage API keys');
  return p.user;
}

function strip(row: ApiKeyInfo & { secretHash: string }): ApiKeyInfo {
  const { secretHash: _h, ...key } = row;
  return key;
}
