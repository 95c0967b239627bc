import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createEnvelopeSigner,
  createEnvelopeVerifier,
  decodeEnvelope,
  partitionOf,
} from "@georep/contract";
import type { RowSlice } from "@georep/contract";
import { lsnFromBigInt } from "@georep/reader";
import type { CaptureBatch } from "@georep/reader";
import { routeBatch } from "../src/route.ts";

const slice = (camera: string, zone: string | null = null, pad = 0): RowSlice => ({
  table: "public.counting_results",
  key: { camera_id: camera, bucket: "b" },
  zone,
  counters: { people_in__p: "1" },
  registers: pad > 0 ? { status: { v: "x".repeat(pad), t: "1" } } : {},
  ins: "1",
  del: null,
  delBase: null,
});
const batch = (rows: RowSlice[], heartbeat?: string, replica = "us-east"): CaptureBatch => ({
  rows: rows.map((s) => {
    const text = Buffer.from(`xx${JSON.stringify(s)}yy`);
    const rowKey = `public.counting_results|["${s.key["camera_id"]}","b"]`;
    return { rowKey, zone: s.zone, text, start: 2, end: text.length - 2 };
  }),
  heartbeat: heartbeat === undefined ? undefined : { stamp: heartbeat, progress: undefined },
  replica,
  lsn: lsnFromBigInt(0x100n),
  commitTime: 5,
  changesIn: rows.length,
});
const opts = {
  origin: "us-east",
  partitions: 6,
  maxMessageBytes: 64 * 1024,
  heartbeatTopics: ["georep.us-east", "georep.us-east.zone.eu"],
};
const known = { knownOrigins: new Set(["us-east"]) };

describe("routeBatch", () => {
  it("names the replica of a later incarnation in every envelope, and none for the first", () => {
    const later = routeBatch(batch([slice("a")], "7", "us-east.1796000000"), opts);
    const first = routeBatch(batch([slice("a")], "7"), opts);
    for (const r of later) {
      const d = decodeEnvelope(r.value, known);
      expect(d.ok && d.envelope.replica).toBe("us-east.1796000000");
    }
    for (const r of first) {
      const d = decodeEnvelope(r.value, known);
      expect(d.ok && d.envelope.replica).toBeUndefined();
    }
  });

  it("groups slices per (topic, partition) by row key; zone rows only on the zone topic", () => {
    const rows = [slice("a"), slice("b"), slice("c", "eu"), slice("d")];
    const records = routeBatch(batch(rows), opts);
    const all = records.flatMap((r) => {
      const d = decodeEnvelope(r.value, known);
      if (!d.ok || d.envelope.kind !== "rows") throw new Error("bad envelope");
      expect(d.envelope.lsn).toBe("0/100");
      return d.envelope.rows.map((s) => ({ topic: r.topic, partition: r.partition, s }));
    });
    expect(all).toHaveLength(4);
    for (const { topic, partition, s } of all) {
      expect(topic).toBe(s.zone === null ? "georep.us-east" : "georep.us-east.zone.eu");
      expect(partition).toBe(
        partitionOf(`public.counting_results|["${s.key["camera_id"]}","b"]`, 6),
      );
    }
  });
  it("keeps every envelope under the size bound", () => {
    const rows = Array.from({ length: 200 }, (_, i) => slice(`cam-${i % 3}-${i}`, null, 2_000));
    const records = routeBatch(batch(rows), opts);
    expect(records.length).toBeGreaterThan(6);
    for (const r of records) expect(r.value.length).toBeLessThanOrEqual(opts.maxMessageBytes);
    const count = records.reduce((n, r) => {
      const d = decodeEnvelope(r.value, known);
      return n + (d.ok && d.envelope.kind === "rows" ? d.envelope.rows.length : 0);
    }, 0);
    expect(count).toBe(200);
  });
  it("writes each envelope as JSON.stringify of the equivalent envelope", () => {
    const rows = [slice('é"\n', null, 3), slice("😀\u0001"), slice("b")];
    const [record] = routeBatch(batch(rows), { ...opts, partitions: 1 });
    const envelope = {
      kind: "rows",
      v: 1,
      origin: "us-east",
      lsn: "0/100",
      commitTime: 5,
      rows,
    };
    expect(record?.value.toString("utf8")).toBe(JSON.stringify(envelope));
    expect(record?.value.length).toBe(Buffer.byteLength(JSON.stringify(envelope)));
  });
  it("cuts envelopes at exactly maxMessageBytes", () => {
    const rows = Array.from({ length: 50 }, (_, i) => slice(`c${i}`, null, 100 + i * 7));
    const records = routeBatch(batch(rows), { ...opts, partitions: 1, maxMessageBytes: 4_096 });
    for (const [i, r] of records.entries()) {
      expect(r.value.length).toBeLessThanOrEqual(4_096);
      const d = decodeEnvelope(r.value, known);
      const next = records[i + 1];
      if (!d.ok || d.envelope.kind !== "rows" || next === undefined) continue;
      const nextRow = (decodeEnvelope(next.value, known) as { envelope: { rows: RowSlice[] } })
        .envelope.rows[0];
      // The next envelope's first row would not have fitted.
      expect(r.value.length + 1 + Buffer.byteLength(JSON.stringify(nextRow))).toBeGreaterThan(
        4_096,
      );
    }
    expect(
      records.reduce(
        (n, r) => n + (JSON.parse(r.value.toString()) as { rows: unknown[] }).rows.length,
        0,
      ),
    ).toBe(50);
  });
  it("sends a heartbeat to every partition of every heartbeat topic", () => {
    const records = routeBatch(batch([], "77"), opts);
    expect(records).toHaveLength(12);
    const d = decodeEnvelope(records[0]?.value ?? null, known);
    expect(d.ok && d.envelope.kind === "heartbeat" && d.envelope.stamp).toBe("77");
  });
  it("carries the heartbeat's progress when the reader read one, and leaves it out otherwise", () => {
    const progress = { stable: "70", applied: { "eu-west": "65" } };
    const withProgress = routeBatch(
      { ...batch([], "77"), heartbeat: { stamp: "77", progress } },
      opts,
    );
    const d = decodeEnvelope(withProgress[5]?.value ?? null, known);
    expect(d.ok && d.envelope.kind === "heartbeat" && d.envelope.progress).toEqual(progress);
    const without = routeBatch(batch([], "77"), opts)[0]?.value.toString() ?? "";
    expect(without).toContain('"stamp":"77"');
    expect(without).not.toContain("progress");
  });
});

describe("routeBatch with a signer", () => {
  it("signs every record, rows and heartbeats, for the topic and partition it goes to", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const verifier = createEnvelopeVerifier({ keys: new Map([["us-east", [publicKey]]]) });
    const records = routeBatch(batch([slice("a"), slice("b", "eu"), slice("c")], "7"), {
      ...opts,
      signer: createEnvelopeSigner(privateKey),
    });
    expect(records.some((r) => decodeEnvelope(r.value, known).ok && r.topic.includes("zone"))).toBe(
      true,
    );
    for (const r of records)
      expect(verifier.verify("us-east", r.topic, r.partition, r.value, r.headers ?? {})).toEqual({
        ok: true,
      });
  });
});
