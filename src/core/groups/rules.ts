// Who may change what in a group. Pure functions over the state read under the stream
// lock; each returns the change to apply or throws FORBIDDEN / BAD_USER_INPUT / NOT_FOUND.
import type { UserId } from '../accounts/types.js';
import { badInput, forbidden, notFound } from '../errors.js';
import type { CardPatch, GroupChange, GroupRole, GroupState } from './types.js';

const RANK: Record<GroupRole, number> = { member: 0, admin: 1, owner: 2 };

function actorRole(state: GroupState, actor: UserId): GroupRole {
  if (state.card.destroyed) throw notFound('group not found');
  const m = state.members.get(actor);
  if (!m) throw notFound('group not found'); // non-members learn nothing about the group
  return m.role;
}

/** Any member may invite (Startalk muc#invite_v2), up to the member limit. */
export function planInvite(state: GroupState, actor: UserId, userIds: UserId[], limit: number): GroupChange | null {
  actorRole(state, actor);
  const fresh = [...new Set(userIds)].filter((u) => !state.members.has(u));
  if (fresh.length === 0) return null;
  if (state.members.size + fresh.length > limit) {
    throw badInput(`a group has at most ${limit} members (it has ${state.members.size})`, { limit });
  }
  return { kind: 'join', userIds: fresh, by: actor };
}

/** Leaving; an owner who leaves hands ownership to the longest-standing admin, else member. */
export function planLeave(state: GroupState, actor: UserId): GroupChange {
  const role = actorRole(state, actor);
  if (role !== 'owner') return { kind: 'leave', userId: actor };
  const others = [...state.members.values()].filter((m) => m.userId !== actor);
  if (others.length === 0) throw badInput('the last member cannot leave; destroy the group instead');
  others.sort((a, b) => RANK[b.role] - RANK[a.role] || a.joinedAt.getTime() - b.joinedAt.getTime());
  return { kind: 'leave', userId: actor, newOwner: others[0]!.userId };
}

/** Owners remove anyone but themselves; admins remove plain members only. */
export function planRemove(state: GroupState, actor: UserId, target: UserId): GroupChange {
  const role = actorRole(state, actor);
  if (target === actor) throw badInput('use leaveGroup to leave');
  const t = state.members.get(target);
  if (role === 'member') throw forbidden('only the owner or an admin can remove members');
  if (!t) throw notFound('not a member of this group');
  if (RANK[t.role] >= RANK[role]) throw forbidden(`an ${role} cannot remove an ${t.role}`);
  return { kind: 'remove', userId: target, by: actor };
}

/** Only the owner sets roles; making someone owner hands ownership over. */
export function planRole(state: GroupState, actor: UserId, target: UserId, role: GroupRole): GroupChange | null {
  const mine = actorRole(state, actor);
  if (mine !== 'owner') throw forbidden('only the owner can change roles');
  const t = state.members.get(target);
  if (!t) throw notFound('not a member of this group');
  if (target === actor) throw badInput('give ownership to another member instead');
  if (t.role === role) return null;
  return { kind: 'role', userId: target, role, by: actor, demote: role === 'owner' ? actor : undefined };
}

/** Owner and admins edit the card. */
export function planCard(state: GroupState, actor: UserId, patch: CardPatch): GroupChange | null {
  const role = actorRole(state, actor);
  if (role === 'member') throw forbidden('only the owner or an admin can edit the group card');
  const c = state.card;
  const changed = (Object.keys(patch) as (keyof CardPatch)[]).some((k) => patch[k] !== undefined && patch[k] !== c[k]);
  return changed ? { kind: 'card', patch, by: actor } : null;
}

export function planDestroy(state: GroupState, actor: UserId): GroupChange {
  if (actorRole(state, actor) !== 'owner') throw forbidden('only the owner can destroy the group');
  return { kind: 'destroy', by: actor };
}
