import { describe, expect, it } from "vitest";
import { bytes, fields, table } from "../src/output/table.ts";

describe("table", () => {
  it("aligns columns under upper-case headings, without borders or trailing spaces", () => {
    expect(
      table(
        ["origin", "lag", "level"],
        [
          ["eu-west", "1.5 s", "ok"],
          ["ap-south", null, "critical"],
        ],
      ),
    ).toBe("ORIGIN    LAG    LEVEL\neu-west   1.5 s  ok\nap-south  -      critical\n");
  });

  it("writes booleans as yes/no and missing values as -", () => {
    expect(
      fields([
        ["active", true],
        ["changed", false],
        ["slot", undefined],
      ]),
    ).toBe("active   yes\nchanged  no\nslot     -\n");
  });

  it("writes byte counts in binary units", () => {
    expect([0, 1023, 1536, 5 * 1024 ** 3].map(bytes)).toEqual([
      "0 B",
      "1023 B",
      "1.5 KiB",
      "5.0 GiB",
    ]);
  });
});
