// AccountStore on PostgreSQL through Prisma.
import type { AccountStore } from '../../core/accounts/ports.js';
import type { AuthSession, NewUser, User, UserId, UserPatch, UserSecret } from '../../core/accounts/types.js';
import { AppError, notFound } from '../../core/errors.js';
import type { PrismaClient } from './generated/client.js';

type UserRow = {
  id: bigint; username: string; displayName: string; pinyin: string | null; department: string | null;
  avatarUrl: string | null; mood: string | null; frozen: boolean; isAdmin: boolean; version: number; createdAt: Date;
  passwordHash: string; passwordSalt: string | null; domain: { host: string };
};

const withDomain = { domain: { select: { host: true } } } as const;

function toUser(r: UserRow): User {
  return {
    id: r.id.toString(), domain: r.domain.host, username: r.username, displayName: r.displayName,
    pinyin: r.pinyin, department: r.department, avatarUrl: r.avatarUrl, mood: r.mood, frozen: r.frozen,
    isAdmin: r.isAdmin, version: r.version, createdAt: r.createdAt,
  };
}

export class PgAccountStore implements AccountStore {
  private readonly domainIds = new Map<string, number>();

  constructor(private readonly db: PrismaClient) {}

  async ensureDomain(host: string): Promise<number> {
    const known = this.domainIds.get(host);
    if (known !== undefined) return known;
    const d = await this.db.domain.upsert({ where: { host }, create: { host }, update: {} });
    this.domainIds.set(host, d.id);
    return d.id;
  }

  async findUserWithSecret(domain: string, username: string): Promise<(User & UserSecret) | null> {
    const r = await this.db.user.findFirst({ where: { username, domain: { host: domain } }, include: withDomain });
    return r ? { ...toUser(r), passwordHash: r.passwordHash, passwordSalt: r.passwordSalt } : null;
  }

  async findUserByName(domain: string, username: string): Promise<User | null> {
    const r = await this.db.user.findFirst({ where: { username, domain: { host: domain } }, include: withDomain });
    return r ? toUser(r) : null;
  }

  async findUsersByIds(ids: readonly UserId[]): Promise<User[]> {
    const rows = await this.db.user.findMany({ where: { id: { in: ids.map(BigInt) } }, include: withDomain });
    return rows.map(toUser);
  }

  async createUser(input: NewUser): Promise<User> {
    const domainId = await this.ensureDomain(input.domain);
    try {
      const r = await this.db.user.create({
        data: {
          domainId, username: input.username, displayName: input.displayName, pinyin: input.pinyin ?? null,
          department: input.department ?? null, avatarUrl: input.avatarUrl ?? null, isAdmin: input.isAdmin ?? false,
          passwordHash: input.passwordHash, passwordSalt: input.passwordSalt ?? null,
        },
        include: withDomain,
      });
      return toUser(r);
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') {
        throw new AppError('CONFLICT', `user "${input.username}" already exists`, { field: 'username' });
      }
      throw e;
    }
  }

  async updateUser(id: UserId, patch: UserPatch): Promise<User> {
    try {
      const r = await this.db.user.update({
        where: { id: BigInt(id) }, data: { ...patch, version: { increment: 1 } }, include: withDomain,
      });
      return toUser(r);
    } catch (e) {
      if ((e as { code?: string }).code === 'P2025') throw notFound('unknown user');
      throw e;
    }
  }

  async orgChanges(domain: string, afterVersion: string, limit: number): Promise<{ user: User; orgVersion: string }[]> {
    // users_domain_id_org_version_idx
    const rows = await this.db.user.findMany({
      where: { domain: { host: domain }, orgVersion: { gt: BigInt(afterVersion) } },
      orderBy: { orgVersion: 'asc' }, take: limit, include: withDomain,
    });
    return rows.map((r) => ({ user: toUser(r), orgVersion: r.orgVersion.toString() }));
  }

  async setPassword(id: UserId, passwordHash: string, passwordSalt: string | null): Promise<void> {
    await this.db.user.update({ where: { id: BigInt(id) }, data: { passwordHash, passwordSalt } });
  }

  async createSession(userId: UserId, tokenHash: string, expiresAt: Date, userAgent: string | null): Promise<string> {
    const s = await this.db.authSession.create({ data: { userId: BigInt(userId), tokenHash, expiresAt, userAgent } });
    return s.id.toString();
  }

  async findLiveSession(tokenHash: string, now: Date): Promise<AuthSession | null> {
    const s = await this.db.authSession.findUnique({
      where: { tokenHash }, include: { user: { include: withDomain } },
    });
    if (!s || s.revokedAt || s.expiresAt <= now) return null;
    return { id: s.id.toString(), user: toUser(s.user), expiresAt: s.expiresAt };
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.db.authSession.updateMany({ where: { id: BigInt(sessionId), revokedAt: null }, data: { revokedAt: new Date() } });
  }

  async revokeUserSessions(userId: UserId, exceptSessionId?: string): Promise<void> {
    await this.db.authSession.updateMany({
      where: {
        userId: BigInt(userId), revokedAt: null,
        ...(exceptSessionId ? { NOT: { id: BigInt(exceptSessionId) } } : {}),
      },
      data: { revokedAt: new Date() },
    });
  }
}
