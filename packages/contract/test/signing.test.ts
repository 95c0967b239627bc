import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  KEY_ID_HEADER,
  SIGNATURE_HEADER,
  SigningKeyError,
  createEnvelopeSigner,
  createEnvelopeVerifier,
  keyIdOf,
  parsePrivateKey,
  parsePublicKey,
} from "../src/index.ts";

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
};

const TOPIC = "georep.us-east";
const value = Buffer.from('{"v":1,"kind":"heartbeat"}');

describe("envelope signing", () => {
  const a = pair();
  const b = pair();
  const signer = createEnvelopeSigner(a.privateKey);
  const verifier = createEnvelopeVerifier({ keys: new Map([["us-east", [a.publicKey]]]) });

  it("verifies what the origin's key signed, on the topic and partition it was signed for", () => {
    const headers = signer.headers(TOPIC, 3, value);
    expect(headers[KEY_ID_HEADER]).toBe(keyIdOf(a.publicKey));
    expect(verifier.verify("us-east", TOPIC, 3, value, headers)).toEqual({ ok: true });
    // kafkajs hands headers over as Buffers
    const asBuffers = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]),
    );
    expect(verifier.verify("us-east", TOPIC, 3, value, asBuffers)).toEqual({ ok: true });
  });

  it.each([
    ["unsigned", {}, value, 3, TOPIC, /^unsigned/],
    [
      "another key",
      createEnvelopeSigner(b.privateKey).headers(TOPIC, 3, value),
      value,
      3,
      TOPIC,
      /^unknown key id/,
    ],
    [
      "altered bytes",
      signer.headers(TOPIC, 3, value),
      Buffer.from('{"v":1,"kind":"heartbeaT"}'),
      3,
      TOPIC,
      /^signature does not verify/,
    ],
    [
      "another partition",
      signer.headers(TOPIC, 3, value),
      value,
      4,
      TOPIC,
      /^signature does not verify/,
    ],
    [
      "another topic",
      signer.headers(TOPIC, 3, value),
      value,
      3,
      `${TOPIC}.zone.eu`,
      /^signature does not verify/,
    ],
    [
      "a truncated signature",
      { ...signer.headers(TOPIC, 3, value), [SIGNATURE_HEADER]: "AAAA" },
      value,
      3,
      TOPIC,
      /^signature does not verify/,
    ],
    [
      "a key id that is not one",
      { ...signer.headers(TOPIC, 3, value), [KEY_ID_HEADER]: "<script>" },
      value,
      3,
      TOPIC,
      /^unknown key id \(not a key id\)/,
    ],
  ] as const)("refuses %s", (_, headers, bytes, partition, topic, detail) => {
    const result = verifier.verify("us-east", topic, partition, bytes, headers);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.detail).toMatch(detail);
  });

  it("refuses a signed record of an origin it has no key for", () => {
    const result = verifier.verify("eu-west", TOPIC, 0, value, signer.headers(TOPIC, 0, value));
    expect(result).toEqual({
      ok: false,
      detail: expect.stringMatching(/no public key configured for origin 'eu-west'/) as string,
    });
  });

  it("accepts either of two keys during a rotation", () => {
    const rotating = createEnvelopeVerifier({
      keys: new Map([["us-east", [a.publicKey, b.publicKey]]]),
    });
    for (const key of [a, b]) {
      const headers = createEnvelopeSigner(key.privateKey).headers(TOPIC, 0, value);
      expect(rotating.verify("us-east", TOPIC, 0, value, headers)).toEqual({ ok: true });
    }
  });

  it("lets an unsigned record through only in rollout mode, and never a badly signed one", () => {
    const rollout = createEnvelopeVerifier({
      keys: new Map([["us-east", [a.publicKey]]]),
      acceptUnsigned: true,
    });
    expect(rollout.verify("us-east", TOPIC, 0, value, {}).ok).toBe(true);
    const forged = createEnvelopeSigner(b.privateKey).headers(TOPIC, 0, value);
    expect(rollout.verify("us-east", TOPIC, 0, value, forged).ok).toBe(false);
  });
});

describe("key parsing", () => {
  const a = pair();

  it("reads PEM keys as openssl writes them", () => {
    expect(keyIdOf(parsePublicKey(a.publicPem))).toBe(keyIdOf(a.publicKey));
    expect(parsePrivateKey(a.privatePem).asymmetricKeyType).toBe("ed25519");
  });

  it.each([
    ["garbage", "not a key at all: a line someone pasted by mistake", /not a PEM public key/],
    ["a private key", a.privatePem, /is a PRIVATE key/],
    [
      "an RSA key",
      generateKeyPairSync("rsa", { modulusLength: 1024 })
        .publicKey.export({ format: "pem", type: "spki" })
        .toString(),
      /is a rsa key, not ed25519/,
    ],
  ])("refuses %s as a public key without quoting it", (_, pem, message) => {
    expect(() => parsePublicKey(pem)).toThrow(SigningKeyError);
    expect(() => parsePublicKey(pem)).toThrow(message);
    try {
      parsePublicKey(pem);
    } catch (error) {
      expect((error as Error).message).not.toContain(pem.slice(30, 60));
    }
  });

  it("refuses a public key as a private key", () => {
    expect(() => parsePrivateKey(a.publicPem)).toThrow(/not a PEM private key/);
  });
});
