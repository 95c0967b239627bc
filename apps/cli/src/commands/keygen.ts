import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { UsageError } from "@georep/command-line";
import { keyIdOf } from "@georep/contract";
import type { KeygenFlags } from "../flags.ts";

export interface KeygenReport {
  /** Where the private key went (mode 0600); its text is never printed. */
  readonly privateKeyFile: string;
  readonly keyId: string;
  /** PEM SPKI: what goes in regions[].publicKeys of every region's config. */
  readonly publicKey: string;
}

/**
 * `georep keygen --out file`: a region's Ed25519 envelope-signing key pair (docs/security.md,
 * "Envelope signing"), the same as `openssl genpkey -algorithm ed25519`. The private key is
 * written to a new file readable by its owner only; an existing file is never overwritten.
 * @throws UsageError naming --out when the file exists or cannot be created.
 */
export function keygen(f: KeygenFlags): Promise<KeygenReport> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  try {
    writeFileSync(f.out, privateKey.export({ format: "pem", type: "pkcs8" }), {
      mode: 0o600,
      flag: "wx",
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unwritable";
    const fix =
      code === "EEXIST"
        ? "a key is never overwritten: pick another path, or move the old key away yourself"
        : "pick a path in a directory this user can write";
    throw new UsageError(`--out ${f.out}: cannot create the key file (${code}); ${fix}`, "--out", {
      cause: error,
    });
  }
  return Promise.resolve({
    privateKeyFile: f.out,
    keyId: keyIdOf(publicKey),
    publicKey: publicKey.export({ format: "pem", type: "spki" }).toString(),
  });
}

/** The public key alone on stdout (so it can be piped); what to do with it goes to stderr. */
export function renderKeygen(report: KeygenReport): string {
  process.stderr.write(
    `private key in ${report.privateKeyFile} (mode 0600; point signing.privateKey at it). Key id ${report.keyId}. Add this public key to regions[].publicKeys of this region in every region's config:\n`,
  );
  return report.publicKey;
}
