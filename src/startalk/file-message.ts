// Startalk file messages (../shared/startalk/PROTOCOL.md §4.1): the msgType, body and
// extendInfo a file is sent as, in the shapes Startalk clients parse; implements the core's
// FileMessageFormat port (wired in src/server/app.ts).
import type { FileMessageContent, FileMessageExtra, FileMessageFormat } from '../core/files/ports.js';
import type { FileKind, FileRecord } from '../core/files/types.js';

/** Startalk msgType per kind */
export const MSG_TYPE: Record<Exclude<FileKind, 'avatar'>, number> = { file: 5, image: 3, voice: 2, video: 32 };

/** msgTypes whose body points at one file (COMPAT: 30 is Startalk's ImageNew) */
export const FILE_MSG_TYPES: ReadonlySet<number> = new Set<number>([...Object.values(MSG_TYPE), 30]);

/** COMPAT: Startalk shows FileSize as a human string ("1.5MB") and never parses it back. */
export function humanSize(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10}${units[i]}`;
}

/**
 * The body and extendInfo of a file message. COMPAT: key names as the PC client writes them:
 * FILEID/FileName/FileSize/FILEMD5/HttpUrl for files, `[obj type="image" …]` text for images,
 * HttpUrl/Seconds for voice, FileUrl/ThumbUrl/Width/Height/Duration for video.
 */
export function fileMessage(file: FileRecord, url: string, extra: FileMessageExtra = {}): FileMessageContent {
  const common = { FILEID: file.id, FileName: file.name, FileSize: humanSize(file.size), FILEMD5: file.md5 ?? '' };
  switch (file.kind) {
    case 'image': {
      const dims = extra.width && extra.height ? ` width=${extra.width} height=${extra.height}` : '';
      return { msgType: MSG_TYPE.image, body: `[obj type="image" value="${url.replace(/"/g, '%22')}"${dims}]`, extendInfo: null };
    }
    case 'voice': {
      const json = JSON.stringify({ ...common, HttpUrl: url, Seconds: extra.seconds ?? 0 });
      return { msgType: MSG_TYPE.voice, body: json, extendInfo: json };
    }
    case 'video': {
      const json = JSON.stringify({
        ...common, FileUrl: url, HttpUrl: url, ThumbUrl: '',
        Width: String(extra.width ?? 0), Height: String(extra.height ?? 0), Duration: String(extra.seconds ?? 0),
      });
      return { msgType: MSG_TYPE.video, body: json, extendInfo: json };
    }
    default: {
      const json = JSON.stringify({ ...common, HttpUrl: url });
      return { msgType: MSG_TYPE.file, body: json, extendInfo: json };
    }
  }
}

/** What a file message's JSON body says (voice, video, file); null for anything else. */
export interface FileMessageJson {
  FILEID?: string;
  FileName?: string;
  FileSize?: string;
  FILEMD5?: string;
  HttpUrl?: string;
  FileUrl?: string;
  Seconds?: number;
  [key: string]: unknown;
}

export function parseFileMessageJson(body: string): FileMessageJson | null {
  try {
    const j = JSON.parse(body) as unknown;
    return j && typeof j === 'object' && !Array.isArray(j) ? (j as FileMessageJson) : null;
  } catch {
    return null;
  }
}

/** The image URL (and size) of an `[obj type="image" value="…" width=… height=…]` body; null otherwise. */
export function parseImageObj(body: string): { url: string; width: number | null; height: number | null } | null {
  const m = /^\[obj type="image" value="([^"]*)"(?: width=(\d+) height=(\d+))?\]$/.exec(body);
  return m ? { url: m[1]!.replace(/%22/g, '"'), width: m[2] ? Number(m[2]) : null, height: m[3] ? Number(m[3]) : null } : null;
}

/** COMPAT: Startalk clients put their own uuid in FILEID; only our numeric ids are a hint. */
export function fileIdHint(body: string): string | null {
  const m = /"FILEID"\s*:\s*(?:"(\d{1,19})"|(\d{1,19})[,}\s])/.exec(body);
  return m ? (m[1] ?? m[2])! : null;
}

/** The core's port, in Startalk's format. */
export const startalkFileMessages: FileMessageFormat = {
  build: fileMessage,
  carriesFile: (msgType) => FILE_MSG_TYPES.has(msgType),
  fileIdHint,
};
