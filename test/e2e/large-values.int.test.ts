import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ROW_VALUE_BYTES } from "@georep/contract";
import { waitFor } from "@georep/testkit";
import type { ThreeRegions } from "./regions.ts";
import { startThreeRegions } from "./regions.ts";

// docs/capture.md "Row size limit": a row up to the limit ships and merges end to end through
// real Kafka; a row above it is refused by the local write itself, naming table, column, limit.

/** Random printable ASCII without `"` or `\`, so its JSON is its own size: gzip barely shrinks it. */
function randomText(bytes: number): string {
  const alphabet =
    "!#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  const raw = randomBytes(bytes);
  let out = "";
  for (let i = 0; i < bytes; i += 65_536) {
    const part = raw.subarray(i, Math.min(bytes, i + 65_536));
    out += String.fromCharCode(
      ...Array.from(part, (b) => alphabet.charCodeAt(b % alphabet.length)),
    );
  }
  return out;
}

describe("large register values", () => {
  let world: ThreeRegions;
  beforeAll(async () => {
    world = await startThreeRegions("big");
  });
  afterAll(async () => world.close());

  it("a 5 MiB incompressible text value written by plain SQL arrives intact in the other regions", async () => {
    const [from, ...others] = world.regions;
    if (from === undefined) throw new Error("no regions");
    const value = randomText(5 * 1024 * 1024);
    const started = performance.now();
    await from.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, status, home_region) VALUES ('big', '2026-11-22T10:00:00Z', $1, $2)",
      [value, from.id],
    );
    const { rows: want } = await from.pool.query<{ h: string }>(
      "SELECT md5(status) AS h FROM counting_results WHERE camera_id = 'big'",
    );
    for (const r of others) {
      await waitFor(
        async () =>
          (
            await r.pool.query<{ h: string }>(
              "SELECT md5(status) AS h FROM counting_results WHERE camera_id = 'big'",
            )
          ).rows[0]?.h === want[0]?.h,
        { description: `the 5 MiB value in ${r.id}`, timeoutMs: 60_000, intervalMs: 100 },
      );
    }
    const seconds = (performance.now() - started) / 1000;
    // A figure for docs/capture.md, not an assertion.
    process.stdout.write(`5 MiB row in every other region after ${seconds.toFixed(2)} s\n`);
    for (const r of others) {
      const { rows } = await r.pool.query<{ n: number }>(
        "SELECT octet_length(status) AS n FROM counting_results WHERE camera_id = 'big'",
      );
      expect(rows[0]?.n).toBe(5 * 1024 * 1024);
    }
    // The capture is not wedged behind it: a small write after it arrives too.
    await from.pool.query(
      "UPDATE counting_results SET people_in = people_in + 1 WHERE camera_id = 'big'",
    );
    for (const r of others) {
      await waitFor(
        async () =>
          (
            await r.pool.query<{ n: string }>(
              "SELECT people_in::text AS n FROM counting_results WHERE camera_id = 'big'",
            )
          ).rows[0]?.n === "1",
        { description: `the write after the large row in ${r.id}`, timeoutMs: 30_000 },
      );
    }
  });

  it("a row above the limit is refused at write time, naming table, column and limit", async () => {
    const [region] = world.regions;
    if (region === undefined) throw new Error("no regions");
    const over = "x".repeat(MAX_ROW_VALUE_BYTES + 1);
    const insert = region.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, status, home_region) VALUES ('huge', now(), $1, $2)",
      [over, region.id],
    );
    await expect(insert).rejects.toMatchObject({
      code: "54000",
      message: expect.stringMatching(
        new RegExp(`public\\.counting_results.*"status".*limit is ${MAX_ROW_VALUE_BYTES} bytes`),
      ) as unknown,
    });
    // Two values under the limit each, over it together: the row's sum counts.
    const half = "y".repeat(MAX_ROW_VALUE_BYTES / 2 + 1);
    await region.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, status, home_region) VALUES ('halves', now(), $1, $2)",
      [half, region.id],
    );
    const update = region.pool.query(
      "UPDATE counting_results SET model_version = $1 WHERE camera_id = 'halves'",
      [half],
    );
    await expect(update).rejects.toMatchObject({
      code: "54000",
      message: expect.stringMatching(
        /public\.counting_results.*"(model_version|status)"/,
      ) as unknown,
    });
    // JSON escapes count: 2 MiB of control characters is 12 MiB as JSON.
    const escaped = "\u0001".repeat(2 * 1024 * 1024);
    await expect(
      region.pool.query(
        "INSERT INTO counting_results (camera_id, bucket, status, home_region) VALUES ('ctl', now(), $1, $2)",
        [escaped, region.id],
      ),
    ).rejects.toMatchObject({ code: "54000" });
    const { rows } = await region.pool.query(
      "SELECT camera_id FROM counting_results WHERE camera_id IN ('huge', 'ctl')",
    );
    expect(rows).toEqual([]);
  });
});
