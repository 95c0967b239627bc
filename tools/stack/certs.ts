// A throwaway certificate authority for the secure stack: one CA, and a server certificate per
// service signed by it, all PEM files under one directory. Generated with openssl once and kept
// (a later `secure up` reuses them); delete the directory to start over.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOrFail } from "./proc.ts";

export interface CertificateAuthority {
  readonly dir: string;
  /** The CA certificate (PEM): what every client trusts. */
  readonly caFile: string;
  readonly caKeyFile: string;
}

export interface ServerCert {
  /** Certificate (PEM), signed by the CA. */
  readonly certFile: string;
  /** Unencrypted PKCS#8 private key (PEM), mode 0600. */
  readonly keyFile: string;
  /** Certificate followed by the CA certificate (PEM), for servers that want the chain. */
  readonly chainFile: string;
}

const FIX =
  "check that openssl is installed (apt-get install openssl) and the directory is writable";

/** The CA under `dir`, created on first use. @throws StackError when openssl fails. */
export async function ensureCa(dir: string): Promise<CertificateAuthority> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { dir, caFile: join(dir, "ca.crt"), caKeyFile: join(dir, "ca.key") };
  if (existsSync(ca.caFile) && existsSync(ca.caKeyFile)) return ca;
  await runOrFail(
    "openssl",
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ca.caKeyFile],
    FIX,
  );
  await runOrFail(
    "openssl",
    [
      "req",
      "-x509",
      "-new",
      "-key",
      ca.caKeyFile,
      "-sha256",
      "-days",
      "825",
      "-subj",
      "/CN=georep throwaway CA",
      "-out",
      ca.caFile,
    ],
    FIX,
  );
  return ca;
}

/**
 * A server certificate for `name`, valid for `hosts` (DNS names and IP addresses; "localhost"
 * and 127.0.0.1 by default, so verify-full holds for local connections). Reused when present.
 * @throws StackError when openssl fails.
 */
export async function issueServerCert(
  ca: CertificateAuthority,
  name: string,
  hosts: readonly string[] = ["localhost", "127.0.0.1"],
): Promise<ServerCert> {
  const base = join(ca.dir, name);
  const cert = { certFile: `${base}.crt`, keyFile: `${base}.key`, chainFile: `${base}-chain.crt` };
  if (existsSync(cert.certFile) && existsSync(cert.keyFile) && existsSync(cert.chainFile))
    return cert;
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
  await runOrFail(
    "openssl",
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", cert.keyFile],
    FIX,
  );
  await runOrFail("chmod", ["600", cert.keyFile], FIX);
  const csr = `${base}.csr`;
  await runOrFail(
    "openssl",
    ["req", "-new", "-key", cert.keyFile, "-subj", `/CN=${name}`, "-out", csr],
    FIX,
  );
  const ext = `${base}.ext`;
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  await runOrFail(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.caFile,
      "-CAkey",
      ca.caKeyFile,
      "-CAcreateserial",
      "-days",
      "825",
      "-sha256",
      "-extfile",
      ext,
      "-out",
      cert.certFile,
    ],
    FIX,
  );
  writeFileSync(
    cert.chainFile,
    readFileSync(cert.certFile, "utf8") + readFileSync(ca.caFile, "utf8"),
  );
  return cert;
}
