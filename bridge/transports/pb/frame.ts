// PROTOCOL.md §2.1 framing: varint32(N) ‖ N bytes of ProtoHeader{options, message}, where
// message is a ProtoMessage, gzipped (1), zero-key TEA (5) or raw (0/absent). Reads may split
// or coalesce frames; 5 or more length bytes, or a frame over the size limit, is corrupt.
import { constants, crc32, gunzipSync, gzipSync } from 'node:zlib';
import { PB, KNOWN_SIGNALS, type ProtoMessage } from './schema.js';
import { teaDecrypt, teaEncrypt } from './tea.js';

export const OPT_RAW = 0;
export const OPT_GZIP = 1;
export const OPT_TEA = 5;
/** Startalk's sender rule: a serialized ProtoMessage over this many bytes is gzipped, else TEA */
const GZIP_ABOVE = 200;
/** below this, deflating saves a few bytes at many times the CPU: the gzip container stores the bytes */
const DEFLATE_FROM = 1024;

export class FrameError extends Error {}

export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Splits a byte stream into ProtoHeader frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Frames completed by this chunk; throws FrameError on a corrupt length. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      let len = 0;
      let i = 0;
      for (;; i++) {
        if (i >= 4) throw new FrameError('frame length longer than 4 varint bytes');
        if (i >= this.buf.length) return this.keep(frames);
        const b = this.buf[i]!;
        len += (b & 0x7f) * 2 ** (7 * i);
        if (!(b & 0x80)) break;
      }
      if (len > this.maxFrameBytes) throw new FrameError(`frame of ${len} bytes over the ${this.maxFrameBytes} limit`);
      const start = i + 1;
      if (this.buf.length < start + len) return this.keep(frames);
      frames.push(this.buf.subarray(start, start + len));
      this.buf = this.buf.subarray(start + len);
    }
  }

  private keep(frames: Buffer[]): Buffer[] {
    if (this.buf.length) this.buf = Buffer.from(this.buf); // do not pin the socket's chunk
    return frames;
  }
}

/** One frame's ProtoHeader -> ProtoMessage; throws FrameError when anything does not parse. */
export function decodeFrame(frame: Buffer, maxBytes: number): ProtoMessage {
  let header: { options?: number; message?: Uint8Array };
  try {
    header = PB.ProtoHeader.decode(frame) as typeof header;
  } catch (err) {
    throw new FrameError(`bad ProtoHeader: ${(err as Error).message}`);
  }
  const body = header.message ?? new Uint8Array(0);
  const m = protoMessage(plain(header.options ?? OPT_RAW, body, maxBytes), header.options === OPT_TEA ? body : undefined);
  if (!KNOWN_SIGNALS.has(m.signalType)) throw new FrameError(`unknown signal type ${m.signalType}`);
  return m;
}

function plain(options: number, body: Uint8Array, maxBytes: number): Uint8Array {
  switch (options) {
    case OPT_RAW:
      return body;
    case OPT_GZIP:
      try {
        return gunzipSync(body, { maxOutputLength: maxBytes }); // a gzip bomb stops at the limit
      } catch (err) {
        throw new FrameError(`bad gzip: ${(err as Error).message}`);
      }
    case OPT_TEA:
      return teaDecrypt(body);
    default:
      throw new FrameError(`unknown ProtoHeader option ${options}`);
  }
}

/** teaBody: retry with little-endian TEA words when the big-endian reading does not parse (§2.1 [verify]). */
function protoMessage(bytes: Uint8Array, teaBody?: Uint8Array): ProtoMessage {
  try {
    return PB.ProtoMessage.decode(bytes) as unknown as ProtoMessage; // proto2: throws without signalType
  } catch (err) {
    if (teaBody) return protoMessage(teaDecrypt(teaBody, true));
    throw new FrameError(`bad ProtoMessage: ${(err as Error).message}`);
  }
}

/** ProtoMessage -> one frame, gzip over 200 bytes and TEA otherwise, as Startalk sends every frame. */
export function encodeFrame(m: ProtoMessage): Buffer {
  const plain = PB.ProtoMessage.encode(m).finish();
  const options = plain.length > GZIP_ABOVE ? OPT_GZIP : OPT_TEA;
  const message = options === OPT_GZIP ? gzip(plain) : teaEncrypt(plain);
  const header = PB.ProtoHeader.encode({ options, message }).finish();
  return Buffer.concat([varint(header.length), header]);
}

/**
 * RFC 1952 gzip. Frames under 1 KB (most chat frames just over the 200-byte rule) carry one
 * stored deflate block (RFC 1951 §3.2.4): valid for every gunzip, and about a tenth of the
 * cost of deflate; larger frames are compressed at level 1.
 */
function gzip(plain: Uint8Array): Buffer {
  if (plain.length >= DEFLATE_FROM) return gzipSync(plain, { level: constants.Z_BEST_SPEED });
  const out = Buffer.alloc(10 + 5 + plain.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]); // magic, deflate, no flags, no mtime, unknown OS
  out[10] = 1; // BFINAL, BTYPE=00 stored
  out.writeUInt16LE(plain.length, 11);
  out.writeUInt16LE(~plain.length & 0xffff, 13);
  out.set(plain, 15);
  out.writeUInt32LE(crc32(plain), 15 + plain.length);
  out.writeUInt32LE(plain.length, 19 + plain.length);
  return out;
}
