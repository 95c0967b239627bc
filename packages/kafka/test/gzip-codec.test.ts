import { createRequire } from "node:module";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { GZIP_LEVEL, installGzipCodec } from "../src/gzip-codec.ts";
import "../src/producer.ts";

const require = createRequire(import.meta.url);
const { lookupCodec, Types } = require("kafkajs/src/protocol/message/compression/index.js") as {
  lookupCodec: (type: number) => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>;
    decompress(buffer: Buffer): Promise<Buffer>;
  };
  Types: { GZIP: number };
};

describe("our GZIP codec in kafkajs", () => {
  it("is what kafkajs' record batch encoder compresses with: level 1, plain gzip", async () => {
    installGzipCodec();
    const rows = Buffer.from(
      JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ key: { camera_id: `cam-${i}` } }))),
    );
    const codec = lookupCodec(Types.GZIP);
    const compressed = await codec.compress({ buffer: rows });
    expect(compressed).toEqual(zlib.gzipSync(rows, { level: GZIP_LEVEL }));
    expect(zlib.gunzipSync(compressed)).toEqual(rows);
    expect(await codec.decompress(compressed)).toEqual(rows);
  });
});
