import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createEnvelopeSigner, createEnvelopeVerifier, encodeEnvelope } from "@georep/contract";
import type { Envelope } from "@georep/contract";
import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import { routeMessage, sourceTopics } from "../src/routing.ts";
import type { RoutingContext, SourceTopic } from "../src/routing.ts";

const layout = stateLayout(parseTableSpec(countingResultsSpec));
const ctx: RoutingContext = {
  region: "eu",
  regions: [{ id: "us" }, { id: "eu", zone: "gdpr" }, { id: "ap" }],
  layouts: new Map([["public.counting_results", layout]]),
  maxBytes: 2048,
};
const source: SourceTopic = { topic: "georep.us", origin: "us", zone: undefined };
const slice = (table = "public.counting_results", zone: string | null = null) => ({
  table,
  key: { camera_id: "c", bucket: "2024-01-01 00:00:00+00" },
  zone,
  counters: { people_in__p: "1" },
  registers: {},
  ins: "1",
  del: null,
  delBase: null,
});
const env = (over: Partial<Envelope> = {}): Buffer =>
  encodeEnvelope({
    v: 1,
    kind: "rows",
    origin: "us",
    lsn: "0/1",
    commitTime: 1,
    rows: [slice()],
    ...over,
  } as Envelope);
const reason = (value: Buffer | null, src = source): string => {
  const r = routeMessage(src, value, ctx);
  return r.kind === "dead" ? r.reason : "ok";
};

describe("routing", () => {
  it("consumes every other region's origin topic and their topics of its own zone", () => {
    expect(sourceTopics("eu", ctx.regions).map((s) => s.topic)).toEqual([
      "georep.us",
      "georep.us.zone.gdpr",
      "georep.ap",
      "georep.ap.zone.gdpr",
    ]);
    expect(sourceTopics("us", ctx.regions).map((s) => s.topic)).toEqual(["georep.eu", "georep.ap"]);
  });

  it("accepts good rows and heartbeats", () => {
    expect(reason(env())).toBe("ok");
    expect(
      reason(
        encodeEnvelope({
          v: 1,
          kind: "heartbeat",
          origin: "us",
          lsn: "0/1",
          commitTime: 1,
          stamp: "5",
        }),
      ),
    ).toBe("ok");
  });

  it.each([
    ["malformed", Buffer.from("garbage")],
    ["malformed", null],
    ["unknown-version", Buffer.from(JSON.stringify({ v: 2 }))],
    ["oversized", Buffer.alloc(4096, 32)],
    ["unknown-origin", env({ origin: "zz" })],
    ["own-origin", env({ origin: "eu" })],
    ["wrong-topic", env({ origin: "ap" })],
    ["wrong-topic", env({ rows: [slice(undefined, "other")] })],
  ])("dead-letters %s", (expected, value) => {
    expect(reason(value)).toBe(expected);
  });

  it("sets aside only the rows this region's spec does not know, keeping the others", () => {
    const unknownColumn = {
      ...slice(),
      key: { camera_id: "c2", bucket: "b" },
      counters: { nope__p: "1" },
    };
    const extraKey = { ...slice(), key: { ...slice().key, lane: "2" } };
    const r = routeMessage(
      source,
      env({ rows: [slice(), slice("public.nope"), unknownColumn, extraKey] }),
      ctx,
    );
    if (r.kind !== "envelope" || r.envelope.kind !== "rows") throw new Error(`routed ${r.kind}`);
    expect(r.envelope.rows).toEqual([slice()]);
    expect(r.mismatched.map((m) => m.detail)).toEqual([
      "table 'public.nope' is not replicated here",
      "public.counting_results: unknown counter component 'nope__p'",
      // Merging it would fold rows distinct at the origin into one row here.
      "public.counting_results: unknown key column 'lane'",
    ]);
  });

  it("requires zone-topic rows to be homed in that zone", () => {
    const zoneSource = { topic: "georep.us.zone.gdpr", origin: "us", zone: "gdpr" };
    expect(reason(env({ rows: [slice(undefined, "gdpr")] }), zoneSource)).toBe("ok");
    expect(reason(env(), zoneSource)).toBe("wrong-topic");
  });
});

describe("routing with signatures", () => {
  const us = generateKeyPairSync("ed25519");
  const signed = {
    ...ctx,
    verifier: createEnvelopeVerifier({ keys: new Map([["us", [us.publicKey]]]) }),
  };
  const signer = createEnvelopeSigner(us.privateKey);

  it("merges what the origin signed for this topic and partition", () => {
    const value = env();
    const r = routeMessage(source, value, signed, {
      partition: 2,
      headers: signer.headers(source.topic, 2, value),
    });
    expect(r.kind).toBe("envelope");
  });

  it("refuses anything else before decoding it, saying why", () => {
    const value = env();
    const route = (bytes: Buffer | null, headers = signer.headers(source.topic, 2, value)) =>
      routeMessage(source, bytes, signed, { partition: 2, headers });
    expect(route(value, {})).toEqual({
      kind: "dead",
      reason: "bad-signature",
      detail: "unsigned: no georep-sig header",
    });
    // Not even malformed: the bytes of a forger are never parsed.
    expect(route(Buffer.from("garbage"))).toMatchObject({
      reason: "bad-signature",
      detail: expect.stringMatching(/^signature does not verify/) as string,
    });
    expect(routeMessage(source, value, signed)).toMatchObject({ reason: "bad-signature" });
  });
});
