// API keys for integrators: "stk_<id>_<secret>", shown once; only SHA-256(secret) is stored and
// compared in constant time. A key acts with exactly its scopes and never as a user.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { badInput, forbidden, notFound, unauthenticated } from '../errors.js';
import { TtlMap } from '../ttl-map.js';
import type { ApiKeyStore } from './ports.js';
import { API_SCOPES, type ApiKeyInfo, type ApiScope, type Principal } from './scopes.js';

/** A revoked key stops working on other nodes within this long (at once on the revoking node). */
const CACHE_MS = 10_000;
const TOUCH_MS = 60_000;
const KEY_RE = /^stk_(\d{1,19})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export const isApiKeyToken = (token: string) => token.startsWith('stk_');

export class ApiKeyService {
  private readonly cache = new TtlMap<string, { key: ApiKeyInfo; hash: Buffer } | null>(CACHE_MS, 10_000);
  private readonly touched = new Map<string, number>();

  constructor(private readonly store: ApiKeyStore) {}

  /** Admin users only (a key cannot mint keys). Returns the secret once. */
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

  async revoke(p: Principal | null, id: string): Promise<boolean> {
    adminUser(p);
    if (!/^\d{1,19}$/.test(id)) throw notFound('unknown API key');
    const done = await this.store.revoke(id);
    this.cache.delete(id);
    return done;
  }

  async list(p: Principal | null): Promise<ApiKeyInfo[]> {
    adminUser(p);
    return this.store.list();
  }

  /** Still valid (not revoked); cached like authenticate. */
  async isActive(id: string): Promise<boolean> {
    let hit = this.cache.get(id);
    if (hit === undefined) {
      const row = await this.store.find(id);
      hit = row && !row.revokedAt ? { key: strip(row), hash: Buffer.from(row.secretHash, 'hex') } : null;
      this.cache.set(id, hit);
    }
    return hit !== null;
  }

  /** The key a bearer token names, or null (unknown, revoked, malformed or wrong secret). */
  async authenticate(token: string): Promise<ApiKeyInfo | null> {
    const m = KEY_RE.exec(token);
    if (!m) return null;
    const [, id, secret] = m as unknown as [string, string, string];
    let hit = this.cache.get(id);
    if (hit === undefined) {
      const row = await this.store.find(id);
      hit = row && !row.revokedAt ? { key: strip(row), hash: Buffer.from(row.secretHash, 'hex') } : null;
      this.cache.set(id, hit);
    }
    if (!hit || !timingSafeEqual(sha256(secret), hit.hash)) return null;
    const now = Date.now();
    if ((this.touched.get(id) ?? 0) + TOUCH_MS < now) {
      if (this.touched.size > 10_000) this.touched.clear();
      this.touched.set(id, now);
      void this.store.touch(id).catch(() => {});
    }
    return hit.key;
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
