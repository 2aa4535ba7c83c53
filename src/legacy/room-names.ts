// Group <-> Startalk room addresses for the legacy edge: rooms live at conference.<domain>,
// named by the core group's room name (create_muc's uuid, or generated; cached by the core).
import type { Core } from '../core/index.js';
import { conferenceHost, roomJid } from '../startalk/address.js';

export interface LegacyRoom {
  name: string;
  domain: string;
  jid: string;
}

export interface RoomNames {
  /** the room of a group: its name (JID local part), conference domain and bare JID */
  of(groupId: string): Promise<LegacyRoom>;
  /** the group of a room name (without domain); null when unknown */
  group(name: string): Promise<string | null>;
}

export function roomNames(core: Core, domain: string): RoomNames {
  const conference = conferenceHost(domain);
  return {
    of: async (groupId) => {
      const name = (await core.groups.roomNameOf(groupId)) ?? groupId;
      return { name, domain: conference, jid: roomJid(name, domain) };
    },
    group: (name) => core.groups.idByRoomName(name),
  };
}
