import { expect, it } from "vitest";
import { COMPRESS_FROM_BYTES, compressionFor } from "../src/compression-choice.ts";

const record = (bytes: number) => ({
  topic: "t",
  partition: 0,
  key: null,
  value: Buffer.alloc(bytes, 120),
});

it("sends a request of a row or two uncompressed, and a bigger one as configured", () => {
  expect(compressionFor([record(300), record(300)], "gzip")).toBe("none");
  expect(compressionFor([record(COMPRESS_FROM_BYTES - 1)], "gzip")).toBe("none");
  expect(compressionFor([record(COMPRESS_FROM_BYTES)], "gzip")).toBe("gzip");
  expect(compressionFor([record(3_000), record(3_000)], "gzip")).toBe("gzip");
  expect(compressionFor([record(1_000_000)], "none")).toBe("none");
});
