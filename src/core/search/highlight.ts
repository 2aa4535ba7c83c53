// Highlights computed from the hit and the query, so both adapters report them alike:
// case-insensitive substrings, and for Chinese names the characters a pinyin or initials
// prefix stands for (`zs` highlights 张三).
import { hasHan, keyText, syllables } from './pinyin.js';
import type { Highlight } from './types.js';

type Range = Highlight['ranges'][number];

/** Every occurrence of each word of the query in value (case-insensitive). */
export function substringRanges(value: string, query: string): Range[] {
  const hay = value.toLowerCase();
  const out: Range[] = [];
  for (const word of new Set(query.toLowerCase().split(/\s+/).filter(Boolean))) {
    for (let i = hay.indexOf(word); i >= 0 && out.length < 20; i = hay.indexOf(word, i + word.length)) {
      out.push({ start: i, length: word.length });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Characters of a Chinese name covered by a pinyin (or initials) prefix starting at a character. */
export function pinyinRange(name: string, query: string): Range | null {
  const q = keyText(query);
  if (!q || !hasHan(name)) return null;
  const chars = [...name];
  const syl = syllables(name).map(keyText);
  const offsets: number[] = [];
  let off = 0;
  for (const c of chars) {
    offsets.push(off);
    off += c.length;
  }
  offsets.push(off);
  for (let i = 0; i < chars.length; i++) {
    // full pinyin: the syllables from i on spell out q (the last one may be partial)
    let acc = '';
    for (let j = i; j < chars.length && acc.length < q.length; j++) {
      acc += syl[j];
      if (acc.length >= q.length ? acc.startsWith(q) : q.startsWith(acc)) {
        if (acc.length >= q.length) return { start: offsets[i]!, length: offsets[j + 1]! - offsets[i]! };
      } else break;
    }
    // initials: one letter per character
    const initials = syl.slice(i, i + q.length).map((s) => s[0] ?? '').join('');
    if (q.length <= chars.length - i && initials === q) return { start: offsets[i]!, length: offsets[i + q.length]! - offsets[i]! };
  }
  return null;
}

export function highlightFields(fields: Record<string, string | null>, query: string, pinyinField?: string): Highlight[] {
  const out: Highlight[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (!value) continue;
    let ranges = substringRanges(value, query);
    if (!ranges.length && field === pinyinField) {
      const r = pinyinRange(value, query);
      if (r) ranges = [r];
    }
    if (ranges.length) out.push({ field, value, ranges });
  }
  return out;
}

/** A window of about `width` characters of a long text around its first match. */
export function snippet(text: string, query: string, width = 80): Highlight {
  const all = substringRanges(text, query);
  const first = all[0]?.start ?? 0;
  const from = text.length <= width ? 0 : Math.max(0, Math.min(first - Math.floor(width / 4), text.length - width));
  const value = text.slice(from, from + width);
  const ranges = all
    .filter((r) => r.start >= from && r.start + r.length <= from + width)
    .map((r) => ({ start: r.start - from, length: r.length }));
  return { field: 'body', value: (from > 0 ? '…' : '') + value + (from + width < text.length ? '…' : ''), ranges: from > 0 ? ranges.map((r) => ({ ...r, start: r.start + 1 })) : ranges };
}
