// Pinyin search keys for Chinese names: typing `zhangs` or `zs` finds 张三. pinyin-pro
// converts the characters (surname mode, so 单/曾 read as surnames); a stored pinyin
// (Startalk host_users.pinyin) wins over the computed one.
import { pinyin } from 'pinyin-pro';

const HAN = /\p{Script=Han}/u;
const KEY_CHARS = /[^a-z0-9]/g;

export interface PinyinKeys {
  /** full pinyin without spaces or tones, e.g. "zhangsan"; null when the name has no Chinese */
  full: string | null;
  /** first letter of each character (of each word for non-Chinese runs), e.g. "zs" */
  initials: string | null;
}

export const hasHan = (s: string) => HAN.test(s);

/** One entry per character of name (code points): its syllable, or the character lowercased. */
export function syllables(name: string): string[] {
  const chars = [...name];
  if (!chars.some((c) => HAN.test(c))) return chars.map((c) => c.toLowerCase());
  const out = pinyin(name, { toneType: 'none', type: 'array', surname: 'head' });
  // pinyin-pro gives one entry per character; anything else would misalign highlights
  if (out.length !== chars.length) return chars.map((c) => (HAN.test(c) ? pinyin(c, { toneType: 'none' }) : c).toLowerCase());
  return out.map((s) => s.toLowerCase());
}

/** Normalizes what a user types or what is stored: lowercase letters and digits only. */
export const keyText = (s: string) => s.toLowerCase().replace(KEY_CHARS, '');

export function pinyinKeys(displayName: string, storedPinyin: string | null): PinyinKeys {
  const stored = storedPinyin ? keyText(storedPinyin) : '';
  if (!hasHan(displayName)) return { full: stored || null, initials: null };
  const chars = [...displayName];
  const syl = syllables(displayName);
  let initials = '';
  let inWord = false;
  chars.forEach((c, i) => {
    if (HAN.test(c)) {
      initials += syl[i]![0] ?? '';
      inWord = false;
    } else if (/[\p{L}\p{N}]/u.test(c)) {
      if (!inWord) initials += keyText(c);
      inWord = true;
    } else inWord = false;
  });
  return { full: stored || keyText(syl.join('')) || null, initials: keyText(initials) || null };
}
