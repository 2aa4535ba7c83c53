// PROTOCOL.md §2.1 option 5: TEA with an all-zero 128-bit key (obfuscation, not security), ECB
// over 8-byte blocks read as two big-endian uint32, 32 rounds; a tail under 8 bytes stays clear.
const DELTA = 0x9e3779b9;
const KEY = [0, 0, 0, 0] as const;

export function teaEncrypt(data: Uint8Array): Buffer {
  const out = Buffer.from(data); // a copy: the tail stays as it was
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i + 8 <= out.length; i += 8) {
    let v0 = view.getUint32(i);
    let v1 = view.getUint32(i + 4);
    let sum = 0;
    for (let r = 0; r < 32; r++) {
      sum = (sum + DELTA) >>> 0;
      v0 = (v0 + ((((v1 << 4) + KEY[0]) ^ (v1 + sum) ^ ((v1 >>> 5) + KEY[1])) >>> 0)) >>> 0;
      v1 = (v1 + ((((v0 << 4) + KEY[2]) ^ (v0 + sum) ^ ((v0 >>> 5) + KEY[3])) >>> 0)) >>> 0;
    }
    view.setUint32(i, v0);
    view.setUint32(i + 4, v1);
  }
  return out;
}

/**
 * littleEndian: COMPAT defence from §2.1 [verify]: should a client encrypt native little-endian
 * words, the frame decoder retries with them when the big-endian reading does not parse.
 */
export function teaDecrypt(data: Uint8Array, littleEndian = false): Buffer {
  const out = Buffer.from(data);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = littleEndian;
  for (let i = 0; i + 8 <= out.length; i += 8) {
    let v0 = view.getUint32(i, le);
    let v1 = view.getUint32(i + 4, le);
    let sum = (DELTA * 32) >>> 0; // 0xC6EF3720
    for (let r = 0; r < 32; r++) {
      v1 = (v1 - ((((v0 << 4) + KEY[2]) ^ (v0 + sum) ^ ((v0 >>> 5) + KEY[3])) >>> 0)) >>> 0;
      v0 = (v0 - ((((v1 << 4) + KEY[0]) ^ (v1 + sum) ^ ((v1 >>> 5) + KEY[1])) >>> 0)) >>> 0;
      sum = (sum - DELTA) >>> 0;
    }
    view.setUint32(i, v0, le);
    view.setUint32(i + 4, v1, le);
  }
  return out;
}
