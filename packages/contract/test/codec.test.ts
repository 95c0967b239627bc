import { describe, expect, it } from "vitest";
import { decodeEnvelope, encodeEnvelope, partitionOf } from "../src/index.ts";
import type { Envelope } from "../src/index.ts";

const knownOrigins = new Set(["us-east", "eu-west"]);
const rows: Envelope = {
  v: 1,
  kind: "rows",
  origin: "us-east",
  lsn: "0/16B3748",
  commitTime: 1_700_000_000_000,
  rows: [
    {
      table: "public.counting_results",
      key: { camera_id: "cam-1", bucket: "2026-01-01 00:00:00+00" },
      zone: null,
      counters: { people_in__p: "18446744073709551" },
      registers: {
        status: { v: "ok", t: "117657414650036224" },
        model_version: { v: null, t: "1" },
      },
      ins: "117657414649708544",
      del: null,
      delBase: null,
    },
  ],
};

describe("envelope codec", () => {
  it("round-trips an envelope with values past 2^53", () => {
    const decoded = decodeEnvelope(encodeEnvelope(rows), { knownOrigins });
    expect(decoded).toEqual({ ok: true, envelope: rows });
  });

  it.each([
    ["oversized", Buffer.alloc(2048, 32), { maxBytes: 1024 }],
    ["malformed", Buffer.from("{not json"), {}],
    ["malformed", null, {}],
    ["unknown-version", Buffer.from(JSON.stringify({ ...rows, v: 2 })), {}],
    ["unknown-origin", encodeEnvelope({ ...rows, origin: "mars" }), {}],
    // A region speaks only for its own incarnations.
    ["unknown-origin", encodeEnvelope({ ...rows, replica: "eu-west.1796000000" }), {}],
    // Incarnation 1 has one name, the bare region id.
    ["unknown-origin", encodeEnvelope({ ...rows, replica: "us-east.1" }), {}],
    ["malformed", Buffer.from(JSON.stringify({ ...rows, replica: "us-east.0" })), {}],
    ["malformed", Buffer.from(JSON.stringify({ ...rows, lsn: "nope" })), {}],
    [
      "malformed",
      Buffer.from(JSON.stringify({ ...rows, rows: [{ ...rows.rows[0], zone: "eu.central" }] })),
      {},
    ],
    [
      "malformed",
      Buffer.from(
        JSON.stringify({ ...rows, rows: [{ ...rows.rows[0], counters: { people_in__p: "-1" } }] }),
      ),
      {},
    ],
  ] as const)("refuses %s input with a reason", (reason, value, extra) => {
    const decoded = decodeEnvelope(value, { knownOrigins, ...extra });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toBe(reason);
  });

  it("refuses a version nested past the stack's depth, and a huge key, with a short detail", () => {
    const deep = Buffer.from(`{"v":${"[".repeat(50_000)}${"]".repeat(50_000)}}`);
    expect(decodeEnvelope(deep, { knownOrigins })).toEqual({
      ok: false,
      reason: "unknown-version",
      detail: "envelope version (an array); this merger reads 1",
    });
    const key = "k".repeat(100_000);
    const huge = decodeEnvelope(Buffer.from(JSON.stringify({ ...rows, [key]: 1 })), {
      knownOrigins,
    });
    expect(huge.ok).toBe(false);
    if (!huge.ok) expect(huge.detail.length).toBeLessThan(1_000);
  });

  it.each(["a\u0000b", "\ud800", "x\udc00"])(
    "refuses a key or register value PostgreSQL cannot hold (%j) as malformed",
    (bad) => {
      const slice = rows.rows[0];
      if (slice === undefined) throw new Error("fixture has a slice");
      for (const changed of [
        { ...slice, key: { ...slice.key, camera_id: bad } },
        { ...slice, registers: { status: { v: bad, t: "1" } } },
      ]) {
        const decoded = decodeEnvelope(encodeEnvelope({ ...rows, rows: [changed] }), {
          knownOrigins,
        });
        expect(decoded).toMatchObject({ ok: false, reason: "malformed" });
      }
    },
  );

  it("partitions a key to the same partition every time, spreading keys", () => {
    expect(partitionOf('t|["a"]', 6)).toBe(partitionOf('t|["a"]', 6));
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionOf(`t|["cam-${i}"]`, 6)));
    expect(used.size).toBe(6);
  });
});
