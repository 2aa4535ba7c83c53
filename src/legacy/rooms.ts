// Group <-> Startalk room addresses for the legacy edge: rooms live at conference.<domain>.
import type { Core } from '../core/index.js';

export interface RoomNames {
  /** the room of a group: its name (JID local part) and conference domain */
  of(groupId: string): Promise<{ name: string; domain: string }>;
  /** the group of a room name (without domain); null when unknown */
  group(name: string): Promise<string | null>;
}

export function roomNames(_core: Core, domain: string): RoomNames {
  const conference = `conference.${domain}`;
  return {
    of: async (groupId) => ({ name: groupId, domain: conference }),
    group: async (name) => (/^\d{1,19}$/.test(name) ? name : null),
  };
}
