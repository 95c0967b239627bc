// Which compression a request goes with. gzip pays off on the batches of a busy region (JSON rows
// with repeated keys: ~20x smaller), but a request of a row or two saves a few hundred bytes and
// costs a zlib stream on the producer and another on every consumer: profiling a replicator at
// 100 commits/s showed zlib as the largest single CPU cost, mostly the consumers' decompression
// of one-row batches.
import type { ProducerRecord } from "./producer-record.ts";

export type Compression = "none" | "gzip";

/** Requests whose record values add up to less than this go uncompressed. */
export const COMPRESS_FROM_BYTES = 4 * 1024;

export function compressionFor(
  records: readonly ProducerRecord[],
  configured: Compression,
): Compression {
  if (configured === "none") return "none";
  let bytes = 0;
  for (const r of records) {
    bytes += r.value.length;
    if (bytes >= COMPRESS_FROM_BYTES) return configured;
  }
  return "none";
}
