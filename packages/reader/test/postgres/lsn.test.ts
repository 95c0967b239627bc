import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareLsn, formatLsn, lsnFromBigInt, maxLsn, parseLsn } from "../../src/postgres/lsn.ts";

describe("Lsn", () => {
  it("parses and formats PostgreSQL's spelling", () => {
    expect(parseLsn("16/B374D848")).toBe(0x16b374d848n);
    expect(formatLsn(parseLsn("16/B374D848"))).toBe("16/B374D848");
    expect(formatLsn(parseLsn("0/0"))).toBe("0/0");
    expect(formatLsn(parseLsn("0/16b3748"))).toBe("0/16B3748");
  });
  it("refuses what is not an LSN", () => {
    for (const bad of ["", "16", "16/", "/1", "G/1", "123456789/0", "1/2/3"])
      expect(() => parseLsn(bad)).toThrow(RangeError);
    expect(() => lsnFromBigInt(-1n)).toThrow(RangeError);
    expect(() => lsnFromBigInt(1n << 64n)).toThrow(RangeError);
  });
  it("round-trips and orders like the 64-bit integer", () => {
    const lsn = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(lsnFromBigInt);
    fc.assert(fc.property(lsn, (a) => parseLsn(formatLsn(a)) === a));
    fc.assert(
      fc.property(lsn, lsn, (a, b) => {
        expect(compareLsn(a, b)).toBe(a < b ? -1 : a > b ? 1 : 0);
        expect(maxLsn(a, b)).toBe(a > b ? a : b);
      }),
    );
  });
});
