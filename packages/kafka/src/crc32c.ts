// CRC-32C (Castagnoli), the checksum of Kafka record batches (v2), slicing-by-8: eight table
// lookups per 8 bytes instead of one per byte. Same results as kafkajs' byte-wise version.
// (Node's zlib.crc32 is CRC-32/ISO-HDLC, a different polynomial: it cannot be used here.)
import { createRequire } from "node:module";

const POLY = 0x82f63b78;

const TABLES: Int32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  const t0 = t[0] as Int32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (t[k] as Int32Array)[n] = c;
    }
  }
  return t;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** CRC-32C of `buffer`, unsigned. */
export function crc32c(buffer: Uint8Array): number {
  let crc = -1;
  let i = 0;
  const n = buffer.length;
  // Bytes up to a 4-byte boundary one at a time, then two 32-bit words per step.
  const misaligned = LITTLE_ENDIAN ? (4 - (buffer.byteOffset & 3)) & 3 : n;
  for (; i < n && i < misaligned; i++)
    crc = (T0[(crc ^ (buffer[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  const words = (n - i) >>> 3;
  if (words > 0) {
    const w = new Uint32Array(buffer.buffer, buffer.byteOffset + i, words * 2);
    for (let k = 0; k < w.length; k += 2) {
      const a = crc ^ (w[k] as number);
      const b = w[k + 1] as number;
      crc =
        (T7[a & 0xff] as number) ^
        (T6[(a >>> 8) & 0xff] as number) ^
        (T5[(a >>> 16) & 0xff] as number) ^
        (T4[a >>> 24] as number) ^
        (T3[b & 0xff] as number) ^
        (T2[(b >>> 8) & 0xff] as number) ^
        (T1[(b >>> 16) & 0xff] as number) ^
        (T0[b >>> 24] as number);
    }
    i += words * 8;
  }
  for (; i < n; i++) crc = (T0[(crc ^ (buffer[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * kafkajs 2.2.4 has no hook for its checksum: its record batch encoder requires
 * `src/protocol/recordBatch/crc32C` (a byte-wise loop, ~10% of the capture's CPU) and keeps it.
 * Before that encoder is first loaded, the module's exports are swapped for `crc32c` (same
 * signature, same results: tested). Returns whether kafkajs uses ours; if it cannot be arranged
 * (the encoder is already loaded, or the layout changed), kafkajs keeps its own: only slower.
 */
export function installFastCrc32c(): boolean {
  const require = createRequire(import.meta.url);
  let crcId: string;
  let batchId: string;
  try {
    crcId = require.resolve("kafkajs/src/protocol/recordBatch/crc32C/index.js");
    batchId = require.resolve("kafkajs/src/protocol/recordBatch/v0/index.js");
  } catch {
    return false;
  }
  if (require.cache[batchId] === undefined) {
    require(crcId);
    const loaded = require.cache[crcId];
    if (loaded !== undefined) loaded.exports = crc32c;
  }
  return require(crcId) === crc32c;
}
