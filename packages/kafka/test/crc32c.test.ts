import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "../src/crc32c.ts";
import { fastCrc32c } from "../src/producer.ts";

const require = createRequire(import.meta.url);
const kafkajsByteWise = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js") as (
  b: Buffer,
) => number;

describe("crc32c (slicing-by-8)", () => {
  it("matches the CRC-32C check value", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });
  it("equals kafkajs' byte-wise CRC-32C for any bytes at any alignment", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, offset) => {
        const b = Buffer.alloc(bytes.length + offset);
        b.set(bytes, offset);
        const view = b.subarray(offset);
        expect(crc32c(view)).toBe(kafkajsByteWise(view));
      }),
      { numRuns: 2_000 },
    );
  });
  it("is what kafkajs' record batch encoder uses", () => {
    expect(fastCrc32c).toBe(true);
    expect(require("kafkajs/src/protocol/recordBatch/crc32C/index.js")).toBe(crc32c);
  });
});
