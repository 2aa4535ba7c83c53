// PROTOCOL.md §2.2 StringHeaderType and §14: the headers Startalk maps to XML attribute names go
// on the wire with their numeric definedKey (Android reads getDefinedKey() and ignores the
// text key for these); any other header carries its name in the free-text key.
import type { StringHeader } from './schema.js';

const BY_NUMBER: Record<number, string> = {
  1: 'chatid', 2: 'channelid', 3: 'extendInfo', 4: 'backupinfo', 5: 'read_type', 7: 'jid', 8: 'real_jid',
  9: 'invite_jid', 10: 'del_jid', 12: 'nick', 16: 'title', 18: 'pic', 20: 'version', 22: 'method', 24: 'body',
  28: 'affiliation', 30: 'type', 32: 'result', 34: 'reason', 36: 'role', 38: 'domain', 40: 'status', 42: 'code',
  50: 'cdata', 52: 'time_value', 54: 'key_value', 56: 'name', 58: 'host', 60: 'question', 62: 'answer',
  64: 'friends', 66: 'value', 68: 'masked_user', 70: 'key', 72: 'carbon_message', 76: 'mode',
  78: 'forbidden_words',
};
const BY_NAME = new Map(Object.entries(BY_NUMBER).map(([n, name]) => [name, Number(n)]));

/** The XML name of a header: its definedKey's name, else its free-text key. */
export function headerName(h: StringHeader): string | undefined {
  return (h.definedKey ? BY_NUMBER[h.definedKey] : undefined) ?? h.key ?? undefined;
}

/** A header for name=value, numeric when Startalk has a number for it; nothing for an empty value. */
export function header(name: string, value: string | number | undefined | null): StringHeader[] {
  if (value === undefined || value === null || value === '') return [];
  const definedKey = BY_NAME.get(name);
  return [definedKey ? { definedKey, value: String(value) } : { key: name, value: String(value) }];
}

/** Headers from several name/value pairs, in order, empty values left out (as Startalk does). */
export function headers(pairs: Record<string, string | number | undefined | null>): StringHeader[] {
  return Object.entries(pairs).flatMap(([k, v]) => header(k, v));
}

/** The value of the header named `name` (by definedKey or text key). */
export function headerValue(list: StringHeader[] | undefined, name: string): string | undefined {
  return list?.find((h) => headerName(h) === name)?.value ?? undefined;
}
