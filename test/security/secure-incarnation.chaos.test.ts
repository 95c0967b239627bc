// A region that loses its slot, on the secure stack: capture runs as georep_reader, which owns
// nothing, and must still start a new incarnation (recompiling the capture functions, the
// own-origin guards and the publication through georep.switch_incarnation) and ship everything
// again. Before that function existed, startIncarnation as georep_reader failed with 42501 and
// such a region never captured again (test/security/least-privilege.int.test.ts tries it in SQL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { waitFor } from "@georep/testkit";
import { chaosRegions, writeRound } from "../chaos/chaos-regions.ts";
import type { ChaosRegions } from "../chaos/chaos-regions.ts";
import { regionsExact } from "../chaos/exact-regions.ts";

describe("chaos, secured: a region whose slot is lost starts a new incarnation", () => {
  const { seed } = propertyConfig();
  let chaos: ChaosRegions;

  beforeAll(async () => {
    chaos = await chaosRegions({ stack: "secure", prefix: "si" });
    for (const r of chaos.regions) await r.proc.start();
  });
  afterAll(async () => chaos.close());

  it(`re-ships its state under a new replica, exactly (seed ${seed})`, async () => {
    const { regions } = chaos;
    const lost = regions[2];
    if (lost === undefined) throw new Error("three regions expected");
    const truth = new GroundTruth();
    const exact = (what: string) =>
      waitFor(() => regionsExact(regions, truth), {
        description: `regions identical with exact totals ${what} (seed ${seed})`,
        timeoutMs: 120_000,
        intervalMs: 500,
      });
    await writeRound(regions, { seed, round: 1, operations: 120, cameras: 3, truth });
    await exact("before the slot is lost");

    await lost.proc.stop();
    // The slot goes (as after max_slot_wal_keep_size or a careless operator), with writes behind it.
    await waitFor(
      async () => {
        const { rows } = await lost.pool.query<{ slot_name: string }>(
          "SELECT slot_name FROM pg_replication_slots WHERE database = current_database() AND NOT active",
        );
        for (const r of rows)
          await lost.pool.query("SELECT pg_drop_replication_slot($1)", [r.slot_name]);
        return rows.length > 0;
      },
      { description: "the stopped region's slot dropped", timeoutMs: 30_000 },
    );
    await writeRound(regions, { seed, round: 2, operations: 120, cameras: 3, truth });
    await lost.proc.start();
    await writeRound(regions, { seed, round: 3, operations: 60, cameras: 3, truth });
    await exact("after the new incarnation");

    const { rows } = await lost.pool.query<{ replica: string }>(
      "SELECT replica FROM georep.incarnations ORDER BY incarnation",
    );
    expect(rows.map((r) => r.replica)).toEqual([lost.id, expect.stringMatching(/\.\d+$/)]);
    // Capture ran as the least-privilege role the whole time.
    const { rows: sessions } = await lost.pool.query<{ usename: string }>(
      `SELECT DISTINCT usename FROM pg_stat_activity
       WHERE datname = current_database() AND backend_type = 'walsender'`,
    );
    expect(sessions.map((s) => s.usename)).toEqual(["georep_reader"]);
  });
});
