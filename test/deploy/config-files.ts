// The files a rendered Kubernetes config names, and a stand-in of each so that the replicator's
// own parser (which reads every secret and CA file at once) can run on the config unweakened:
// CA certificates made with openssl, the region's signing key and every region's public key
// made fresh (filling the operator's REPLACE-ME placeholders), dummy passwords, all under a
// temporary root that replaces the pod's /etc/georep.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const PLACEHOLDER = /^REPLACE-ME\b/;

/** A secret reference (`{ file }` or `{ env }`) and the config field it sits in. */
export interface SecretRefAt {
  readonly field: string;
  readonly ref: { readonly file?: string; readonly env?: string };
}

const isRef = (v: unknown): v is SecretRefAt["ref"] =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  ("file" in v || "env" in v);

/** Every value of `json` with its dotted field, depth first. */
function* walk(json: unknown, field = ""): Generator<[string, unknown]> {
  yield [field, json];
  if (typeof json !== "object" || json === null) return;
  for (const [k, v] of Object.entries(json)) yield* walk(v, field === "" ? k : `${field}.${k}`);
}

/** Every secret reference in the config. */
export const secretRefs = (config: unknown): SecretRefAt[] =>
  [...walk(config)]
    .filter(([, v]) => isRef(v))
    .map(([field, ref]) => ({ field, ref: ref as SecretRefAt["ref"] }));

/** Every URL-shaped string in the config (postgres, redis…), by field. */
export const urls = (config: unknown): Array<[string, URL]> =>
  [...walk(config)]
    .filter((e): e is [string, string] => typeof e[1] === "string" && /^[a-z]+:\/\//.test(e[1]))
    .map(([field, v]) => [field, new URL(v)]);

/** The CA certificate files the config names: `*.tls.ca` and PostgreSQL's `sslrootcert`. */
export const caFiles = (config: unknown): string[] => [
  ...[...walk(config)]
    .filter(([field, v]) => /(^|\.)tls\.ca$/.test(field) && typeof v === "string")
    .map(([, v]) => v as string),
  ...urls(config).flatMap(([, u]) => u.searchParams.getAll("sslrootcert")),
];

/** The temporary directories made so far, removed by `removeStandIns`. */
const made: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

export function removeStandIns(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** One throwaway CA certificate (PEM), made once per test file. */
let caPem: string | undefined;
function testCa(): string {
  if (caPem !== undefined) return caPem;
  const dir = tempDir("georep-k8s-ca-");
  const [key, cert] = [join(dir, "ca.key"), join(dir, "ca.crt")];
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      "/CN=georep-test-ca",
      "-days",
      "1",
    ],
    { stdio: "pipe" },
  );
  caPem = readFileSync(cert, "utf8");
  rmSync(key);
  return caPem;
}

interface Region {
  id: string;
  publicKeys?: string[];
}

/**
 * `config` ready for the parser: its files written under a temporary root (the paths in the
 * config moved there), its public-key placeholders filled with fresh keys, the region's private
 * key in the file `signing.privateKey` names. `fillKeys: false` leaves the placeholders.
 */
export function materialize(
  config: Record<string, unknown>,
  prefix: string,
  { fillKeys = true }: { fillKeys?: boolean } = {},
): unknown {
  const root = tempDir("georep-k8s-");
  const put = (path: string, text: string): void => {
    if (!path.startsWith(prefix)) throw new Error(`${path} is outside ${prefix}`);
    const at = join(root, path);
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, text, { mode: 0o600 });
  };
  const copy = structuredClone(config) as Record<string, unknown> & { regions: Region[] };
  const signingFile = (copy["signing"] as { privateKey?: { file?: string } } | undefined)
    ?.privateKey?.file;
  const ownKey = generateKeyPairSync("ed25519");
  if (signingFile !== undefined)
    put(signingFile, ownKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString());
  for (const r of fillKeys ? copy.regions : []) {
    const { publicKey } = r.id === copy["region"] ? ownKey : generateKeyPairSync("ed25519");
    r.publicKeys = r.publicKeys?.map((k) => {
      if (!PLACEHOLDER.test(k)) throw new Error(`regions ${r.id}: not a placeholder: ${k}`);
      return publicKey.export({ format: "pem", type: "spki" }).toString();
    });
  }
  for (const path of caFiles(copy)) put(path, testCa());
  for (const { ref } of secretRefs(copy))
    if (ref.file !== undefined && ref.file !== signingFile) put(ref.file, "not-a-real-password\n");
  return JSON.parse(JSON.stringify(copy).replaceAll(prefix, join(root, prefix)));
}
