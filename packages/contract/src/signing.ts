// Envelope signatures (docs/security.md, "Envelope signing"): each region signs every record it
// ships with its Ed25519 key; every other region verifies it against that region's public keys
// before decoding, so write access to a topic is not enough to speak for the topic's region.
//
// What is signed: a domain tag, the topic, the partition and the record value's exact bytes. The
// topic and partition are bound in so a genuine record copied elsewhere (a zone topic's rows onto
// the origin topic, one partition's heartbeat onto another) no longer verifies.
import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";

/** Record header carrying the signature, base64 (64 bytes decoded). */
export const SIGNATURE_HEADER = "georep-sig";
/** Record header carrying the signing key's id (keyIdOf), so rotation needs no trial verifies. */
export const KEY_ID_HEADER = "georep-key";

const DOMAIN = Buffer.from("georep-envelope-sig-v1\u0000", "utf8");
const SIGNATURE_BYTES = 64;
/** DER SPKI of an Ed25519 key: a fixed 12-byte prefix, then the raw 32-byte key. */
const RAW_KEY_BYTES = 32;

/** Why a key text is not an Ed25519 key of the expected kind; the text itself is never quoted. */
export class SigningKeyError extends Error {
  override readonly name = "SigningKeyError";
}

/** Record headers as the Kafka client hands them over. */
export type RecordHeaders = Readonly<Record<string, Buffer | string | undefined>>;

/** The bytes a signature covers. */
export function signedBytes(topic: string, partition: number, value: Buffer): Buffer {
  const where = Buffer.from(`${topic}\u0000${partition}\u0000`, "utf8");
  return Buffer.concat([DOMAIN, where, value]);
}

/** First 16 hex digits of the sha256 of the raw 32-byte public key: short, stable, public. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ format: "der", type: "spki" });
  return createHash("sha256")
    .update(der.subarray(der.length - RAW_KEY_BYTES))
    .digest("hex")
    .slice(0, 16);
}

/** `make()`'s key, refused unless it parsed and is Ed25519. Node's error is dropped, not wrapped: nothing of the key text may travel on. */
function ed25519(make: () => KeyObject, notPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = make();
  } catch {
    throw new SigningKeyError(notPem);
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new SigningKeyError(`is a ${key.asymmetricKeyType ?? "unknown"} key, not ed25519`);
  return key;
}

/**
 * A PEM SPKI Ed25519 public key (what `openssl pkey -pubout` prints).
 * @throws SigningKeyError when the text is not one (a private key given instead is refused).
 */
export function parsePublicKey(pem: string): KeyObject {
  if (pem.includes("PRIVATE KEY"))
    throw new SigningKeyError(
      "is a PRIVATE key: only public keys belong here (openssl pkey -in private.pem -pubout prints the public half)",
    );
  return ed25519(
    () => createPublicKey({ key: pem, format: "pem" }),
    "is not a PEM public key (-----BEGIN PUBLIC KEY-----)",
  );
}

/**
 * A PEM PKCS#8 Ed25519 private key (what `openssl genpkey -algorithm ed25519` prints).
 * @throws SigningKeyError when the text is not one; the message never quotes the text.
 */
export function parsePrivateKey(pem: string): KeyObject {
  return ed25519(
    () => createPrivateKey({ key: pem, format: "pem" }),
    "is not a PEM private key (-----BEGIN PRIVATE KEY-----)",
  );
}

export interface EnvelopeSigner {
  /** Id of the public key that verifies this signer's signatures. */
  readonly keyId: string;
  /** The headers to send with `value` on (topic, partition). */
  headers(topic: string, partition: number, value: Buffer): Record<string, string>;
}

/** Signs with `privateKey` (an Ed25519 KeyObject, held here and never exposed). */
export function createEnvelopeSigner(privateKey: KeyObject): EnvelopeSigner {
  const keyId = keyIdOf(createPublicKey(privateKey));
  return {
    keyId,
    headers: (topic, partition, value) => ({
      [SIGNATURE_HEADER]: sign(null, signedBytes(topic, partition, value), privateKey).toString(
        "base64",
      ),
      [KEY_ID_HEADER]: keyId,
    }),
  };
}

export type Verification = { readonly ok: true } | { readonly ok: false; readonly detail: string };

export interface EnvelopeVerifier {
  /** Whether the record on (topic, partition) was signed by a key `origin` is known by. Never throws. */
  verify(
    origin: string,
    topic: string,
    partition: number,
    value: Buffer | null,
    headers: RecordHeaders,
  ): Verification;
}

export interface VerifierOptions {
  /** Accepted public keys per origin (one, two during a rotation); an origin absent has none. */
  readonly keys: ReadonlyMap<string, readonly KeyObject[]>;
  /**
   * Rollout only: a record without a signature passes (one with a bad one still does not).
   * Lets regions be switched to signing one at a time; anyone can forge while it is on.
   */
  readonly acceptUnsigned?: boolean;
}

const text = (v: Buffer | string | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === "string" ? v : v.toString("latin1");

/** A key id as it may appear in a detail: hex of the right length, or a placeholder. */
const shownKeyId = (id: string): string =>
  /^[0-9a-f]{16}$/.test(id) ? `'${id}'` : "(not a key id)";

export function createEnvelopeVerifier(o: VerifierOptions): EnvelopeVerifier {
  const byOrigin = new Map(
    [...o.keys].map(([origin, keys]) => [origin, new Map(keys.map((k) => [keyIdOf(k), k]))]),
  );
  return {
    verify(origin, topic, partition, value, headers) {
      const signature = text(headers[SIGNATURE_HEADER]);
      if (signature === undefined)
        return o.acceptUnsigned === true
          ? { ok: true }
          : { ok: false, detail: `unsigned: no ${SIGNATURE_HEADER} header` };
      const keys = byOrigin.get(origin);
      if (keys === undefined)
        return {
          ok: false,
          detail: `no public key configured for origin '${origin}' (add it to regions[].publicKeys)`,
        };
      const keyId = text(headers[KEY_ID_HEADER]) ?? "";
      const key = keys.get(keyId);
      if (key === undefined)
        return {
          ok: false,
          detail: `unknown key id ${shownKeyId(keyId)} for origin '${origin}' (accepted: ${[...keys.keys()].join(", ")})`,
        };
      const bytes = Buffer.from(signature, "base64");
      if (bytes.length !== SIGNATURE_BYTES || value === null)
        return { ok: false, detail: `signature does not verify with key id '${keyId}'` };
      return verify(null, signedBytes(topic, partition, value), key, bytes)
        ? { ok: true }
        : { ok: false, detail: `signature does not verify with key id '${keyId}'` };
    },
  };
}
