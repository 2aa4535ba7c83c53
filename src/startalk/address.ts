// Startalk addresses (../shared/startalk/PROTOCOL.md §5, §14): users are <username>@<domain>,
// rooms live on the MUC host conference.<domain> as <roomName>@conference.<domain>, and an
// occupant is <room>@conference.<domain>/<nick>. Built and read here only.

export interface UserName {
  username: string;
  domain: string;
}

/** <username>@<domain>, the bare JID of a user */
export function userJid(u: UserName): string {
  return `${u.username}@${u.domain}`;
}

/** The bare JID a name means: its local part at `host` (COMPAT: clients send "user" or "user@host"). */
export function userAddress(name: string, host: string): string {
  return `${name.split('@', 1)[0]}@${host}`;
}

/** COMPAT: Startalk's MUC service host, conference.<domain> */
export function conferenceHost(domain: string): string {
  return `conference.${domain}`;
}

/** <roomName>@conference.<domain> */
export function roomJid(roomName: string, domain: string): string {
  return `${roomName}@${conferenceHost(domain)}`;
}

/** COMPAT: Startalk's in-room nick on the wire is "<user>_<domain>"; clients read sendjid/realfrom instead. */
export function roomNick(u: UserName): string {
  return `${u.username}_${u.domain}`;
}

export interface Jid {
  local: string | null;
  domain: string;
  resource: string | null;
}

/** Splits local@domain/resource (local and resource optional); null for '' or a missing domain. */
export function parseJid(jid: string): Jid | null {
  const slash = jid.indexOf('/');
  const bareJid = slash < 0 ? jid : jid.slice(0, slash);
  const resource = slash < 0 ? null : jid.slice(slash + 1);
  const at = bareJid.indexOf('@');
  const local = at < 0 ? null : bareJid.slice(0, at);
  const domain = at < 0 ? bareJid : bareJid.slice(at + 1);
  if (!domain || local === '') return null;
  return { local, domain, resource };
}

/** The room name of a JID on this server's MUC host (any resource ignored); null for anything else. */
export function roomNameOf(jid: string | undefined, domain: string): string | null {
  const j = jid ? parseJid(jid) : null;
  return j?.local && j.domain.toLowerCase() === conferenceHost(domain) ? j.local : null;
}

/** True when a JID is on some MUC host (COMPAT: Startalk's test is the "@conference." substring). */
export function isRoomAddress(jid: string): boolean {
  return jid.includes('@conference.');
}

/** The local part of "user", "user@host" or "user@host/resource" (COMPAT: Startalk clients send any of them). */
export function localPart(nameOrJid: string): string {
  const at = nameOrJid.indexOf('@');
  return at < 0 ? nameOrJid : nameOrJid.slice(0, at);
}
