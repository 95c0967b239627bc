import {
  createHlc,
  deltaRow,
  emptyRow,
  encodeRowDelta,
  gcounterFrom,
  incrementRowCounter,
  insertRow,
  writeRowRegister,
} from "../src/index.ts";
import type { GCounter, Hlc, RowState } from "../src/index.ts";

const REGIONS = ["us-east", "eu-west", "ap-south"] as const;

/** Concurrent 3-region counters, so merges take per-component maxima from both sides. */
export function makeCounters(n: number): GCounter[] {
  const out: GCounter[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      gcounterFrom(
        REGIONS.map((r, k) => [r, BigInt(((i * 7919 + k * 104_729) % 100_000) + 1)] as const),
      ),
    );
  }
  return out;
}

/**
 * A counting row as every region holds it (2 G-counter columns, 1 PN column, 2 registers,
 * 3 regions) and `n` JSON row deltas as a merger receives them: one region's increments and a
 * register write since that state.
 */
export function makeRowDeltas(n: number): { base: RowState; messages: string[] } {
  let wall = 1_700_000_000_000;
  const hlcs: Hlc[] = REGIONS.map(() =>
    createHlc({ wallClock: () => wall, maxForwardSkewMs: 60_000 }),
  );
  const clock = (k: number): Hlc => hlcs[k % hlcs.length] as Hlc;
  let base: RowState = emptyRow();
  REGIONS.forEach((region, k) => {
    base = insertRow(base, { site: "berlin-01", home: "us-east" }, { hlc: clock(k), region });
    base = incrementRowCounter(base, "people_in", region, 10 + k);
    base = incrementRowCounter(base, "people_out", region, 3 + k);
    base = incrementRowCounter(base, "occupancy", region, 7 - k, "pncounter");
  });
  const messages: string[] = [];
  for (let i = 0; i < n; i++) {
    wall += 1000;
    const region = REGIONS[i % 3] as string;
    let next = incrementRowCounter(base, "people_in", region, i + 1);
    next = incrementRowCounter(next, "people_out", region, i);
    next = writeRowRegister(next, "site", `berlin-${i}`, { hlc: clock(i), region });
    messages.push(JSON.stringify(encodeRowDelta(deltaRow(base, next))));
  }
  return { base, messages };
}
