// kafkajs compresses GZIP record batches at zlib's default level (6), asynchronously. Ours:
//  - level 1: on our envelopes (JSON rows, repeated keys) ~2.5x faster than 6 and still ~20x
//    smaller, so compressing costs less than the copies it saves in kafkajs' encoder and the
//    broker;
//  - synchronous: kafkajs encodes a request's partitions one after another, awaiting each
//    batch's compression. Through zlib's thread pool every batch came back through the event
//    loop, which the reader keeps busy with WAL, so a request waited one loop turn per
//    partition (~0.4 s per request measured); a ~600 KB batch takes ~1 ms inline.
//  - decompression synchronous too, for the same reason on the consuming side: a fetch response
//    holding N compressed partition batches waited N loop turns behind the merger's work (the
//    lag bench's Kafka wait, append to batch start, fell from ~130 to ~25 ms mean at 100
//    commits/s with small batches sent uncompressed; see compression-choice.ts).
// The stream is plain gzip: any consumer decompresses it.
import { createRequire } from "node:module";
import zlib from "node:zlib";
import type { CompressionCodecs as Codecs, CompressionTypes as Types } from "kafkajs";

/** The level our producers compress with. */
export const GZIP_LEVEL = 1;

/**
 * Registers our GZIP codec through kafkajs' codec registry (its plugin point for compression),
 * for every kafkajs client in this process, compressing and decompressing.
 * Idempotent.
 */
export function installGzipCodec(): void {
  // kafkajs is CommonJS and its codec registry is not visible as an ES named export.
  const kafkajs = createRequire(import.meta.url)("kafkajs") as {
    CompressionCodecs: typeof Codecs;
    CompressionTypes: typeof Types;
  };
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) =>
      Promise.resolve(zlib.gzipSync(encoder.buffer, { level: GZIP_LEVEL })),
    decompress: (buffer: Buffer) => {
      try {
        return Promise.resolve(zlib.unzipSync(buffer));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  });
}
