// The secure stack's PostgreSQL profile (postgres.ts runs the clusters): TLS with our throwaway
// CA's server certificate, SCRAM passwords, and a pg_hba.conf that rejects every TCP connection
// without TLS. The stack itself administers over a Unix socket (peer, mapped to `postgres`).
import { userInfo } from "node:os";
import { readFileSync } from "node:fs";
import pg from "pg";
import { verifyFullPgUrl } from "@georep/testkit";
import type { RegionConfig } from "./config.ts";
import type { ClusterProfile } from "./postgres.ts";
import { clusterSettings } from "./postgres.ts";
import type { ServerCert } from "./certs.ts";

/** The secure settings on top of the plain stack's (clusterSettings). */
export function secureClusterSettings(port: number, socketDir: string): string {
  return clusterSettings(port, {
    // Every address "localhost" resolves to: clients verify the certificate against that name.
    listen_addresses: "'localhost'",
    unix_socket_directories: `'${socketDir}'`,
    unix_socket_permissions: "0700",
    ssl: "on",
    ssl_cert_file: "'server.crt'",
    ssl_key_file: "'server.key'",
    ssl_min_protocol_version: "'TLSv1.2'",
    password_encryption: "'scram-sha-256'",
  });
}

/**
 * TCP only with TLS and a SCRAM password, for databases and the replication protocol alike
 * (`all` does not match `replication` in pg_hba.conf, hence the pairs). The Unix socket admits
 * `postgres` only, by peer credentials through the `stack` map (pg_ident.conf).
 */
export function secureHba(): string {
  const lines = ["# Written by `pnpm stack secure up` (tools/stack/secure-postgres.ts)."];
  lines.push("local all postgres peer map=stack");
  for (const db of ["all", "replication"])
    for (const net of ["0.0.0.0/0", "::/0"]) lines.push(`hostnossl ${db} all ${net} reject`);
  for (const db of ["all", "replication"])
    for (const net of ["127.0.0.1/32", "::1/128"])
      lines.push(`hostssl ${db} all ${net} scram-sha-256`);
  return `${lines.join("\n")}\n`;
}

/** Who may be `postgres` over the socket: the OS user `postgres`, and whoever runs the stack. */
export function secureIdent(stackUser: string): string {
  const users = new Set(["postgres", stackUser]);
  return `${[...users].map((u) => `stack ${u} postgres`).join("\n")}\n`;
}

export interface SecurePgOptions {
  readonly cert: ServerCert;
  readonly caFile: string;
  readonly socketDir: string;
  /** The `postgres` superuser's password. */
  readonly adminPassword: string;
}

/** The admin's verify-full URL for `localhost`: node-postgres checks the chain and the host name. */
export function secureAdminUrl(port: number, caFile: string, password: string): string {
  return verifyFullPgUrl({
    host: "localhost",
    port,
    database: "postgres",
    user: "postgres",
    password,
    caFile,
  });
}

async function withClient<T>(
  config: pg.ClientConfig,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionTimeoutMillis: 3_000, ...config });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function secureProfile(o: SecurePgOptions): ClusterProfile {
  return {
    files: (region: RegionConfig) => ({
      "georep.conf": secureClusterSettings(region.port, o.socketDir),
      "pg_hba.conf": secureHba(),
      "pg_ident.conf": secureIdent(userInfo().username),
      "server.crt": readFileSync(o.cert.chainFile, "utf8"),
      "server.key": readFileSync(o.cert.keyFile, "utf8"),
    }),
    // The password file is the truth: set it on every `up` (a fresh cluster has none).
    prepare: (region) =>
      withClient({ host: o.socketDir, port: region.port, user: "postgres" }, async (c) => {
        await c.query(`ALTER ROLE postgres PASSWORD ${c.escapeLiteral(o.adminPassword)}`);
      }),
    check: (region) => checkSecureRegion(region.port, o.caFile, o.adminPassword),
  };
}

/**
 * Why a secure cluster is not healthy (over TLS with verify-full, as a client would connect),
 * or undefined when it answers on TLS with wal_level=logical.
 */
export async function checkSecureRegion(
  port: number,
  caFile: string,
  password: string,
): Promise<string | undefined> {
  try {
    return await withClient(
      { connectionString: secureAdminUrl(port, caFile, password) },
      async (c) => {
        const { rows } = await c.query<{ wal_level: string; ssl: boolean }>(
          `SELECT current_setting('wal_level') AS wal_level,
                  (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl`,
        );
        const row = rows[0];
        if (row?.ssl !== true) return "the connection is not encrypted";
        return row.wal_level === "logical"
          ? undefined
          : `wal_level is ${row.wal_level}, not logical`;
      },
    );
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
