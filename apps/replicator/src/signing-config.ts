// Envelope signing settings (docs/security.md, "Envelope signing"): this region's private key,
// named by a secret reference and read once at start, and every region's public keys, in the
// config itself (they are not secret). Off when no region lists keys and `signing` is absent.
import { z } from "zod";
import {
  SigningKeyError,
  createEnvelopeSigner,
  createEnvelopeVerifier,
  keyIdOf,
  parsePrivateKey,
  parsePublicKey,
} from "@georep/contract";
import type { EnvelopeSigner, EnvelopeVerifier } from "@georep/contract";
import type { KeyObject } from "node:crypto";
import type { Logger } from "@georep/observability";
import { ConfigError } from "./config-error.ts";
import { readSecret, secretRefSchema } from "./secret.ts";

const GENERATE = "openssl genpkey -algorithm ed25519 -out region-key.pem";
const PUBLIC_OF = "openssl pkey -in region-key.pem -pubout";

/** regions[].publicKeys: PEM SPKI Ed25519 keys; two only while a rotation is under way. */
export const publicKeysSchema = z
  .array(z.string().min(1, "must be a PEM public key"))
  .min(1, { message: `must list the region's public key (${PUBLIC_OF})` })
  .max(2, {
    message:
      "must list at most two keys: the current one and, during a rotation, the next (docs/security.md)",
  });

export const signingSchema = z
  .object({
    /**
     * This region's PEM PKCS#8 Ed25519 private key: `{ "env": … }` or `{ "file": … }`. Required
     * for role "all" (it ships); a merge worker (role "merge") only verifies and needs none.
     */
    privateKey: secretRefSchema.optional(),
    /**
     * Rollout only (docs/security.md): records without a signature are merged, so regions can be
     * switched to signing one at a time. A record with a bad signature is still refused.
     */
    acceptUnsigned: z.boolean().default(false),
  })
  .strict();

/** What the replicator signs and verifies with; the private key stays inside `signer`. */
export interface EnvelopeSigning {
  /** Absent on a merge worker, which ships nothing. */
  readonly signer: EnvelopeSigner | undefined;
  readonly verifier: EnvelopeVerifier;
  /** Accepted key ids per region (public fingerprints, fine to log). */
  readonly keyIds: Readonly<Record<string, readonly string[]>>;
  readonly acceptUnsigned: boolean;
}

interface SigningInput {
  readonly region: string;
  readonly regions: ReadonlyArray<{ readonly id: string; readonly publicKeys?: string[] }>;
  readonly signing?: z.output<typeof signingSchema>;
  readonly role?: "all" | "merge";
}

/**
 * Builds the signer and verifier, or undefined when signing is off everywhere. All or nothing:
 * with signing on, every region must list its keys, since one origin left without keys could be
 * forged at will, and a forged tombstone base of any origin zeroes every region's counts.
 * @throws ConfigError naming the field and the fix; a key's text is never quoted.
 */
export function resolveEnvelopeSigning(
  c: SigningInput,
  env: NodeJS.ProcessEnv = process.env,
): EnvelopeSigning | undefined {
  const listed = c.regions.some((r) => r.publicKeys !== undefined);
  if (c.signing === undefined && !listed) return undefined;
  const privateRef = c.signing?.privateKey;
  if (privateRef === undefined && c.role !== "merge")
    throw new ConfigError(
      `replicator config: envelope signing is on but signing.privateKey is not set; point it at this region's private key ({ "env": "NAME" } or { "file": "/path" }), made with \`${GENERATE}\` (a merge worker, role "merge", needs none)`,
      "signing.privateKey",
    );
  const acceptUnsigned = c.signing?.acceptUnsigned ?? false;
  const keys = new Map<string, KeyObject[]>();
  const owner = new Map<string, string>();
  for (const [i, region] of c.regions.entries()) {
    const field = `regions.${i}.publicKeys`;
    if (region.publicKeys === undefined)
      throw new ConfigError(
        `replicator config: ${field}: region '${region.id}' has no public key; with signing on every region needs one (\`${PUBLIC_OF}\` on its key), or its envelopes could be forged`,
        field,
      );
    keys.set(
      region.id,
      region.publicKeys.map((pem, j) => {
        const key = parsePublic(pem, `${field}.${j}`, region.id);
        const id = keyIdOf(key);
        const other = owner.get(id);
        if (other !== undefined && other !== region.id)
          throw new ConfigError(
            `replicator config: ${field}.${j}: region '${region.id}' lists the key of region '${other}' (id ${id}); each region needs a key of its own, or one could speak for the other`,
            `${field}.${j}`,
          );
        owner.set(id, region.id);
        return key;
      }),
    );
  }
  const signer =
    privateRef === undefined
      ? undefined
      : createEnvelopeSigner(parsePrivate(readSecret(privateRef, "signing.privateKey", env)));
  const ownIndex = c.regions.findIndex((r) => r.id === c.region);
  const ownKeys = (keys.get(c.region) ?? []).map(keyIdOf);
  if (signer !== undefined && !ownKeys.includes(signer.keyId))
    throw new ConfigError(
      `replicator config: signing.privateKey (key id ${signer.keyId}) is not among this region's regions.${ownIndex}.publicKeys (${ownKeys.join(", ")}); add its public key there (\`${PUBLIC_OF}\`), or point signing.privateKey at the right key`,
      "signing.privateKey",
    );
  return {
    signer,
    verifier: createEnvelopeVerifier({ keys, acceptUnsigned }),
    keyIds: Object.fromEntries([...keys].map(([id, ks]) => [id, ks.map(keyIdOf)])),
    acceptUnsigned,
  };
}

function parsePublic(pem: string, field: string, region: string): KeyObject {
  try {
    return parsePublicKey(pem);
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    throw new ConfigError(
      `replicator config: ${field} (region '${region}') ${error.message}; give the PEM public key of the region's Ed25519 key (\`${PUBLIC_OF}\`; a new key: \`${GENERATE}\`)`,
      field,
      { cause: error },
    );
  }
}

function parsePrivate(secret: { reveal(): string }): KeyObject {
  let key: KeyObject;
  try {
    key = parsePrivateKey(secret.reveal());
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    throw new ConfigError(
      `replicator config: signing.privateKey: the secret ${error.message}; make one with \`${GENERATE}\` and point signing.privateKey at it`,
      "signing.privateKey",
      { cause: error },
    );
  }
  return key;
}

/** One line at start saying how envelopes travel: a warning while anyone can forge them. */
export function reportEnvelopeSigning(signing: EnvelopeSigning | undefined, log: Logger): void {
  if (signing === undefined)
    log.warn(
      "envelopes are unsigned: anyone who can write to a georep topic can forge any region's changes; set signing and regions[].publicKeys (docs/security.md, Envelope signing)",
    );
  else if (signing.acceptUnsigned)
    log.warn(
      { keyIds: signing.keyIds },
      "envelope signing in rollout mode (signing.acceptUnsigned): unsigned envelopes are still merged; turn it off once every region signs",
    );
  else
    log.info(
      { keyIds: signing.keyIds, signs: signing.signer !== undefined },
      "envelopes are verified, and signed when this process ships",
    );
}
