// Admin operations for admin users and integrators' API keys (../shared/startalk/PROTOCOL.md
// §6.9 is what Startalk offered). Each checks its scope, then acts through the same services
// as everyone else: group changes are made by the group's owner under the group rules.
import type { AccountService, CreateUserInput, UpdateUserInput } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import { AppError, badInput, forbidden, isAppError, notFound } from '../errors.js';
import type { CreateGroupInput, GroupService } from '../groups/service.js';
import type { GroupState } from '../groups/types.js';
import type { MessageService, SendInput } from '../messages/service.js';
import type { ConversationSummary, Message } from '../messages/types.js';
import type { NotifyService } from '../notify/service.js';
import { actorId, authorize, authorizeAdminRights, type Principal } from './scopes.js';

export const MAX_IMPORT = 1000;
const IMPORT_CONCURRENCY = 8;

export interface ImportUserInput extends Omit<CreateUserInput, 'password'> {
  password?: string | null;
  /** Startalk's stored form "CRY:<32 hex>", with passwordSalt (pwd_salt) */
  passwordHash?: string | null;
  passwordSalt?: string | null;
}

export type ImportResult =
  | { username: string; user: User; error?: undefined }
  | { username: string; user?: undefined; error: { code: string; message: string } };

export interface AdminSendInput extends Omit<SendInput, 'to'> {
  /** sender address */
  from: string;
  to?: string | null;
  groupId?: string | null;
}

export class AdminService {
  constructor(
    private readonly accounts: AccountService,
    private readonly groups: GroupService,
    private readonly messages: MessageService,
    private readonly notify: NotifyService,
  ) {}

  async user(p: Principal | null, address: string): Promise<User> {
    authorize(p, 'USERS_READ');
    return this.accounts.findByAddress(address);
  }

  /** USERS_WRITE; an admin account needs admin rights too (authorizeAdminRights). */
  async createUser(p: Principal | null, input: CreateUserInput): Promise<User> {
    authorize(p, 'USERS_WRITE');
    if (input.isAdmin) authorizeAdminRights(p);
    return this.accounts.systemCreateUser(input);
  }

  /** USERS_WRITE; granting the admin flag, or changing an admin's account, needs admin rights too. */
  async updateUser(p: Principal | null, id: UserId, patch: UpdateUserInput): Promise<User> {
    authorize(p, 'USERS_WRITE');
    return this.accounts.systemUpdateUser(actorId(p!), id, patch, (current) => {
      if (current.isAdmin || patch.isAdmin === true) authorizeAdminRights(p);
    });
  }

  /** Bulk creation: each row succeeds or fails on its own, results in input order. */
  async importUsers(p: Principal | null, rows: ImportUserInput[]): Promise<ImportResult[]> {
    authorize(p, 'USERS_WRITE');
    if (rows.length === 0 || rows.length > MAX_IMPORT) throw badInput(`give 1-${MAX_IMPORT} users per call`, { field: 'users' });
    const out: ImportResult[] = new Array(rows.length);
    let next = 0;
    const work = async () => {
      for (let i = next++; i < rows.length; i = next++) {
        const row = rows[i]!;
        try {
          if (row.isAdmin) authorizeAdminRights(p);
          const legacy = row.passwordHash != null ? { hash: row.passwordHash, salt: row.passwordSalt ?? null } : undefined;
          out[i] = { username: row.username, user: await this.accounts.systemCreateUser(row, legacy) };
        } catch (e) {
          if (!isAppError(e)) throw e;
          out[i] = { username: row.username, error: { code: e.code, message: e.message } };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, rows.length) }, work));
    return out;
  }

  /** Ends every session of the user on every node; returns the user. */
  async kick(p: Principal | null, address: string): Promise<User> {
    authorize(p, 'SESSIONS_KICK');
    const user = await this.accounts.findByAddress(address);
    await this.accounts.revokeAll(user.id);
    return user;
  }

  /** A group owned by `owner`, as if they had created it. */
  async createGroup(p: Principal | null, owner: string, input: CreateGroupInput): Promise<GroupState> {
    authorize(p, 'GROUPS_WRITE');
    return this.groups.create(await this.active(owner), input);
  }

  async addGroupMembers(p: Principal | null, groupId: string, members: string[]): Promise<GroupState> {
    authorize(p, 'GROUPS_WRITE');
    return this.groups.invite(await this.ownerOf(groupId), groupId, members);
  }

  async removeGroupMembers(p: Principal | null, groupId: string, members: string[]): Promise<GroupState> {
    authorize(p, 'GROUPS_WRITE');
    const owner = await this.ownerOf(groupId);
    for (const m of new Set(members)) await this.groups.remove(owner, groupId, m);
    return this.groups.systemState(groupId);
  }

  async setGroupOwner(p: Principal | null, groupId: string, member: string): Promise<GroupState> {
    authorize(p, 'GROUPS_WRITE');
    return this.groups.setRole(await this.ownerOf(groupId), groupId, member, 'owner');
  }

  async destroyGroup(p: Principal | null, groupId: string): Promise<void> {
    authorize(p, 'GROUPS_WRITE');
    await this.groups.destroy(await this.ownerOf(groupId), groupId);
  }

  async group(p: Principal | null, groupId: string): Promise<GroupState> {
    authorize(p, 'USERS_READ');
    return this.groups.systemState(groupId);
  }

  /** A message as the given user: 1:1 (`to`) or in a group they belong to (`groupId`). */
  async send(p: Principal | null, input: AdminSendInput): Promise<Message> {
    authorize(p, 'MESSAGES_SEND');
    if ((input.to == null) === (input.groupId == null)) throw badInput('give exactly one of `to` and `groupId`');
    const from = await this.active(input.from);
    const { from: _f, to, groupId, ...content } = input;
    return to != null ? this.messages.sendDirect(from, { ...content, to }) : this.messages.sendGroup(from, { ...content, groupId: groupId! });
  }

  /** A Startalk notify to users' live sessions (PROTOCOL.md §4.6). */
  async sendNotify(p: Principal | null, to: string[], category: number, data: string): Promise<number> {
    authorize(p, 'MESSAGES_SEND');
    return this.notify.system(to, category, data);
  }

  async conversations(p: Principal | null, address: string, limit: number, beforeSeq?: string): Promise<{ user: User; list: ConversationSummary[] }> {
    authorize(p, 'MESSAGES_READ');
    const user = await this.accounts.findByAddress(address);
    return { user, list: await this.messages.systemConversations(user.id, limit, beforeSeq) };
  }

  async history(
    p: Principal | null, conversationId: string, range: { afterSeq?: string; fromMs?: number; toMs?: number; limit: number; originals?: boolean },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    authorize(p, 'MESSAGES_READ');
    return this.messages.systemHistory(conversationId, range);
  }

  private async active(address: string): Promise<User> {
    const u = await this.accounts.findByAddress(address);
    if (u.frozen) throw forbidden(`${u.username} is frozen`);
    return u;
  }

  private async ownerOf(groupId: string): Promise<User> {
    const state = await this.groups.systemState(groupId);
    if (state.card.destroyed) throw notFound('group not found');
    const owner = [...state.members.values()].find((m) => m.role === 'owner');
    if (!owner) throw new AppError('CONFLICT', 'the group has no owner');
    return this.accounts.userById(owner.userId);
  }
}
