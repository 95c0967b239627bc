import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, parseReplicatorConfig } from "../src/index.ts";
import { resolveEnvelopeSigning } from "../src/signing-config.ts";

const dir = mkdtempSync(join(tmpdir(), "georep-signing-"));
const keyPair = (name: string) => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, privatePem, { mode: 0o600 });
  return {
    file,
    privatePem,
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
};
const us = keyPair("us");
const eu = keyPair("eu");
const usNext = keyPair("us-next");

const base = {
  region: "us-east",
  postgres: { url: "postgres://postgres@127.0.0.1:55431/app" },
  kafka: { brokers: ["127.0.0.1:19092"] },
  tables: ["counting_results"],
};
const signed = (over: Record<string, unknown> = {}) => ({
  ...base,
  regions: [
    { id: "us-east", publicKeys: [us.publicPem] },
    { id: "eu-west", publicKeys: [eu.publicPem] },
  ],
  signing: { privateKey: { file: us.file } },
  ...over,
});

/** The ConfigError `input` is refused with; its message, and every printed form, checked for leaks. */
function refusal(input: unknown, secrets: readonly string[] = []): ConfigError {
  let caught: unknown;
  try {
    parseReplicatorConfig(input);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  for (const secret of secrets) {
    // The base64 body of a PEM, not its well-known header line.
    const body = secret.split("\n")[1] ?? secret;
    expect(error.message).not.toContain(body);
    expect(inspect(error, { depth: 10 })).not.toContain(body);
  }
  return error;
}

describe("envelope signing config", () => {
  it("is off when no region lists keys and signing is absent", () => {
    const config = parseReplicatorConfig({
      ...base,
      regions: [{ id: "us-east" }, { id: "eu-west" }],
    });
    expect(config.envelopeSigning).toBeUndefined();
  });

  it("builds a signer whose records the verifier accepts, and keeps the key out of print", () => {
    const config = parseReplicatorConfig(signed());
    const signing = config.envelopeSigning;
    expect(signing?.keyIds["us-east"]).toEqual([signing?.signer?.keyId]);
    const value = Buffer.from("{}");
    const headers = signing?.signer?.headers("georep.us-east", 0, value) ?? {};
    expect(signing?.verifier.verify("us-east", "georep.us-east", 0, value, headers)).toEqual({
      ok: true,
    });
    const printed = `${inspect(config, { depth: 20 })}${JSON.stringify(config)}`;
    expect(printed).not.toContain(us.privatePem.split("\n")[1]);
  });

  it("accepts two keys of a region during a rotation, signing with either", () => {
    const rotating = signed({
      regions: [
        { id: "us-east", publicKeys: [us.publicPem, usNext.publicPem] },
        { id: "eu-west", publicKeys: [eu.publicPem] },
      ],
    });
    expect(parseReplicatorConfig(rotating).envelopeSigning?.keyIds["us-east"]).toHaveLength(2);
    const switched = { ...rotating, signing: { privateKey: { file: usNext.file } } };
    expect(parseReplicatorConfig(switched).envelopeSigning?.signer?.keyId).toBe(
      parseReplicatorConfig(switched).envelopeSigning?.keyIds["us-east"]?.[1],
    );
  });

  it("lets a merge worker verify without the private key", () => {
    const config = parseReplicatorConfig(signed({ role: "merge", signing: undefined }));
    expect(config.envelopeSigning?.signer).toBeUndefined();
    expect(
      config.envelopeSigning?.verifier.verify("eu-west", "georep.eu-west", 0, null, {}),
    ).toEqual({ ok: false, detail: "unsigned: no georep-sig header" });
  });

  it("reads the private key from the environment", () => {
    const signing = resolveEnvelopeSigning(
      {
        region: "us-east",
        regions: [
          { id: "us-east", publicKeys: [us.publicPem] },
          { id: "eu-west", publicKeys: [eu.publicPem] },
        ],
        signing: { privateKey: { env: "GEOREP_SIGNING_KEY" }, acceptUnsigned: false },
      },
      { GEOREP_SIGNING_KEY: us.privatePem },
    );
    expect(signing?.signer?.keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    [
      "public keys listed without a private key",
      { signing: undefined },
      "signing.privateKey",
      /signing\.privateKey is not set.*openssl genpkey -algorithm ed25519/,
    ],
    [
      "a region without a public key",
      { regions: [{ id: "us-east", publicKeys: [us.publicPem] }, { id: "eu-west" }] },
      "regions.1.publicKeys",
      /region 'eu-west' has no public key; with signing on every region needs one/,
    ],
    [
      "a public key that does not parse",
      {
        regions: [
          { id: "us-east", publicKeys: [us.publicPem] },
          { id: "eu-west", publicKeys: ["MCowBQYDK2VwAyEA-not-a-key"] },
        ],
      },
      "regions.1.publicKeys.0",
      /regions\.1\.publicKeys\.0 \(region 'eu-west'\) is not a PEM public key.*openssl pkey -in region-key\.pem -pubout.*openssl genpkey -algorithm ed25519/,
    ],
    [
      "a private key pasted as a public key",
      {
        regions: [
          { id: "us-east", publicKeys: [us.publicPem] },
          { id: "eu-west", publicKeys: [eu.privatePem] },
        ],
      },
      "regions.1.publicKeys.0",
      /is a PRIVATE key: only public keys belong here/,
    ],
    [
      "three keys for one region",
      {
        regions: [
          { id: "us-east", publicKeys: [us.publicPem, usNext.publicPem, eu.publicPem] },
          { id: "eu-west", publicKeys: [eu.publicPem] },
        ],
      },
      "regions.0.publicKeys",
      /at most two keys/,
    ],
    [
      "one key for two regions",
      {
        regions: [
          { id: "us-east", publicKeys: [us.publicPem] },
          { id: "eu-west", publicKeys: [us.publicPem] },
        ],
      },
      "regions.1.publicKeys.0",
      /lists the key of region 'us-east'/,
    ],
    [
      "a private key that is not this region's",
      { signing: { privateKey: { file: eu.file } } },
      "signing.privateKey",
      /is not among this region's regions\.0\.publicKeys/,
    ],
    [
      "a private key file that is not a key",
      { signing: { privateKey: { file: join(dir, "garbage.pem") } } },
      "signing.privateKey",
      /the secret is not a PEM private key.*openssl genpkey -algorithm ed25519/,
    ],
    [
      "the private key written into the config itself",
      { signing: { privateKey: us.privatePem } },
      "signing.privateKey",
      /never the secret itself/,
    ],
  ])("refuses %s, naming the field and the fix", (_, over, field, message) => {
    writeFileSync(join(dir, "garbage.pem"), "not a key, but secret text", { mode: 0o600 });
    const error = refusal(signed(over), [
      us.privatePem,
      eu.privatePem,
      "secret text",
      "MCowBQYDK2VwAyEA-not-a-key",
    ]);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
