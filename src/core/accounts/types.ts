// Account value types. Ids are decimal strings of PostgreSQL bigints.

export type UserId = string;

export interface User {
  id: UserId;
  domain: string;
  username: string;
  displayName: string;
  pinyin: string | null;
  department: string | null;
  avatarUrl: string | null;
  /** profile mood line */
  mood: string | null;
  frozen: boolean;
  isAdmin: boolean;
  version: number;
  createdAt: Date;
}

export interface UserSecret {
  passwordHash: string;
  /** Startalk's pwd_salt, only for legacy "CRY:" hashes */
  passwordSalt: string | null;
}

export interface NewUser {
  domain: string;
  username: string;
  displayName: string;
  pinyin?: string | null;
  department?: string | null;
  avatarUrl?: string | null;
  isAdmin?: boolean;
  passwordHash: string;
  passwordSalt?: string | null;
}

export interface UserPatch {
  displayName?: string;
  mood?: string | null;
  pinyin?: string | null;
  department?: string | null;
  avatarUrl?: string | null;
  frozen?: boolean;
  isAdmin?: boolean;
}

export interface AuthSession {
  id: string;
  user: User;
  expiresAt: Date;
}
