// PROTOCOL.md §2.1 option 5: TEA with an all-zero 128-bit key (obfuscation, not security), ECB
// over 8-byte blocks read as two big-endian uint32, 32 rounds; a tail under 8 bytes stays clear.
const DELTA = 0x9e3779b9;
const KEY = [0, 0, 0, 0] as const;

function blocks(data: Uint8Array, littleEndian: boolean, fn: (v0: number, v1: number) => [number, number]): Buffer {
  const out = Buffer.from(data); // a copy: the tail stays as it was
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = littleEndian;
  for (let i = 0; i + 8 <= out.length; i += 8) {
    const [a, b] = fn(view.getUint32(i, le), view.getUint32(i + 4, le));
    view.setUint32(i, a, le);
    view.setUint32(i + 4, b, le);
  }
  return out;
}

export function teaEncrypt(data: Uint8Array): Buffer {
  return blocks(data, false, (v0, v1) => {
    let sum = 0;
    for (let r = 0; r < 32; r++) {
      sum = (sum + DELTA) >>> 0;
      v0 = (v0 + ((((v1 << 4) + KEY[0]) ^ (v1 + sum) ^ ((v1 >>> 5) + KEY[1])) >>> 0)) >>> 0;
      v1 = (v1 + ((((v0 << 4) + KEY[2]) ^ (v0 + sum) ^ ((v0 >>> 5) + KEY[3])) >>> 0)) >>> 0;
    }
    return [v0, v1];
  });
}

/**
 * littleEndian: COMPAT defence from §2.1 [verify]: should a client encrypt native little-endian
 * words, the frame decoder retries with them when the big-endian reading does not parse.
 */
export function teaDecrypt(data: Uint8Array, littleEndian = false): Buffer {
  return blocks(data, littleEndian, (v0, v1) => {
    let sum = (DELTA * 32) >>> 0; // 0xC6EF3720
    for (let r = 0; r < 32; r++) {
      v1 = (v1 - ((((v0 << 4) + KEY[2]) ^ (v0 + sum) ^ ((v0 >>> 5) + KEY[3])) >>> 0)) >>> 0;
      v0 = (v0 - ((((v1 << 4) + KEY[0]) ^ (v1 + sum) ^ ((v1 >>> 5) + KEY[1])) >>> 0)) >>> 0;
      sum = (sum - DELTA) >>> 0;
    }
    return [v0, v1];
  });
}
