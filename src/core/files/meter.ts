// A pass-through that hashes (SHA-256 and MD5), counts, keeps the first bytes for sniffing
// and fails the stream as soon as it passes its limit, so an oversize body is never stored whole.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { badInput } from '../errors.js';

export class Meter extends Transform {
  size = 0;
  head = Buffer.alloc(0);
  private readonly sha = createHash('sha256');
  private readonly md5 = createHash('md5');

  constructor(private readonly limit: number, private readonly headBytes = 16) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) return cb(tooLarge(this.limit));
    if (this.head.length < this.headBytes) this.head = Buffer.concat([this.head, chunk.subarray(0, this.headBytes - this.head.length)]);
    this.sha.update(chunk);
    this.md5.update(chunk);
    cb(null, chunk);
  }

  /** hex digests; call once, after the stream ended */
  digests(): { sha256: string; md5: string } {
    return { sha256: this.sha.digest('hex'), md5: this.md5.digest('hex') };
  }
}

/** BAD_USER_INPUT with reason TOO_LARGE (HTTP edges answer 413) */
export const tooLarge = (limit: number) => badInput(`file is larger than ${limit} bytes`, { reason: 'TOO_LARGE', limit });
