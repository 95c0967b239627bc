import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UsageError } from "@georep/command-line";
import { parseReplicatorConfig } from "@georep/replicator";
import { checkPeersVerify, interruptedAdd } from "../src/commands/region-checks.ts";

const pem = () => {
  const k = generateKeyPairSync("ed25519");
  return {
    public: k.publicKey.export({ type: "spki", format: "pem" }).toString(),
    private: k.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
};
const keys = { a: pem(), b: pem(), n: pem() };
const env = { KEY_A: keys.a.private, KEY_B: keys.b.private, KEY_N: keys.n.private };

/** Region `region`'s config listing `ids` with the public keys in `known`. */
const config = (region: "a" | "b" | "n", known: Record<string, string>) =>
  parseReplicatorConfig(
    {
      region,
      regions: Object.entries(known).map(([id, key]) => ({ id, publicKeys: [key] })),
      postgres: { url: `postgres://postgres@127.0.0.1:55431/${region}` },
      kafka: { brokers: ["127.0.0.1:19092"] },
      signing: { privateKey: { env: `KEY_${region.toUpperCase()}` } },
      tables: ["counting_results"],
    },
    env,
  );

/** Region `region`'s config of regions a and n with signing off. */
const unsignedConfig = (region: "a" | "n") =>
  parseReplicatorConfig({
    region,
    regions: [{ id: "a" }, { id: "n" }],
    postgres: { url: `postgres://postgres@127.0.0.1:55431/${region}` },
    kafka: { brokers: ["127.0.0.1:19092"] },
    tables: ["counting_results"],
  });

describe("checkPeersVerify", () => {
  const all = { a: keys.a.public, b: keys.b.public, n: keys.n.public };
  const target = config("n", all);

  it("lets the add go on when every peer's config lists the new region's key", () => {
    expect(() => {
      checkPeersVerify(target, [config("a", all), config("b", all)]);
    }).not.toThrow();
  });

  it("refuses, naming the peer, when a peer's config lacks the key or lists another", () => {
    const stale = config("b", { a: keys.a.public, b: keys.b.public });
    const wrong = config("a", { a: keys.a.public, b: keys.b.public, n: pem().public });
    let error: unknown;
    try {
      checkPeersVerify(target, [wrong, stale]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/config of 'a', 'b' does not list/);
    expect((error as Error).message).toMatch(/roll those replicators before/);
  });

  it("refuses a region that does not sign when a peer verifies every record", () => {
    const unsigned = unsignedConfig("n");
    expect(() => {
      checkPeersVerify(unsigned, [config("a", all)]);
    }).toThrow(/does not sign its envelopes, and the config of 'a' verifies every record/);
  });

  it("checks nothing when envelopes go unsigned everywhere", () => {
    const unsigned = unsignedConfig("n");
    const peer = unsignedConfig("a");
    expect(() => {
      checkPeersVerify(unsigned, [peer]);
    }).not.toThrow();
  });
});

describe("interruptedAdd", () => {
  const live = { member: "live", held: false } as const;
  const held = { member: "absent", held: true } as const;
  it("is an add that registered the region in some peers and still holds it in the others", () => {
    expect(interruptedAdd([live, held])).toBe(true);
    expect(interruptedAdd([live, live])).toBe(false); // finished: the region exists
    expect(interruptedAdd([held, held])).toBe(false); // nothing registered: a plain add
    expect(interruptedAdd([live, { member: "absent", held: false }])).toBe(false);
    expect(interruptedAdd([live, held, { member: "removed", held: false }])).toBe(false);
  });
});
