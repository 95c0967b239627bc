import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSecureStack, readSecretFile, securePgUrl, verifyFullPgUrl } from "@georep/testkit";
import type { SecureEndpoints, SecureRegionEndpoint } from "@georep/testkit";
import { ensureCa } from "../../tools/stack/certs.ts";

// The secure stack's PostgreSQL (`pnpm stack secure up`): TLS with verify-full and SCRAM
// passwords work; a plaintext connection, a client trusting another CA and a wrong password are
// refused, for ordinary sessions and for the replication protocol georep's capture uses.

/** Connects, runs `sql`, disconnects; the error is the result when it fails. */
async function attempt(
  // node-postgres takes `replication` (a walsender session) though @types/pg does not list it.
  config: pg.ClientConfig & { replication?: "database" | true },
  sql = "SELECT 1 AS one",
): Promise<unknown> {
  const client = new pg.Client({ connectionTimeoutMillis: 5_000, ...config });
  try {
    await client.connect();
    return (await client.query(sql)).rows;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("secure PostgreSQL", () => {
  let endpoints: SecureEndpoints;
  let region: SecureRegionEndpoint;
  let password: string;
  const otherCaDir = mkdtempSync(join(tmpdir(), "georep-other-ca-"));
  const url = (o: { password?: string; caFile?: string } = {}): string =>
    verifyFullPgUrl({
      host: region.host,
      port: region.port,
      database: region.database,
      user: region.admin.user,
      password: o.password ?? password,
      caFile: o.caFile ?? endpoints.caFile,
    });

  beforeAll(async () => {
    endpoints = await ensureSecureStack();
    const first = endpoints.regions[0];
    if (first === undefined) throw new Error("the secure stack has no region");
    region = first;
    password = readSecretFile(region.admin.passwordFile);
  });
  afterAll(() => {
    rmSync(otherCaDir, { recursive: true, force: true });
  });

  it("takes a verify-full connection to every region over TLS", async () => {
    for (const r of endpoints.regions) {
      const rows = await attempt(
        { connectionString: securePgUrl(endpoints, r.id) },
        `SELECT s.ssl, s.version, current_setting('wal_level') AS wal_level,
                current_setting('password_encryption') AS password_encryption
           FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()`,
      );
      expect(rows).toEqual([
        {
          ssl: true,
          version: expect.stringMatching(/^TLSv1\.[23]$/) as unknown,
          wal_level: "logical",
          password_encryption: "scram-sha-256",
        },
      ]);
    }
  });

  it("refuses a plaintext connection (sslmode=disable)", async () => {
    const plain = url().replace(/\?.*$/, "?sslmode=disable");
    const error = await attempt({ connectionString: plain });
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toMatch(/pg_hba\.conf rejects connection .*no encryption/);
  });

  // Logical walsenders (replication=database, as the capture opens them) match pg_hba.conf by
  // database name; physical ones by the `replication` keyword: both are rejected without TLS.
  it.each([
    ["logical", "database", /pg_hba\.conf rejects connection .*no encryption/],
    ["physical", true, /pg_hba\.conf rejects replication connection .*no encryption/],
  ] as const)("refuses a plaintext %s replication connection", async (_, replication, message) => {
    const plain = url().replace(/\?.*$/, "?sslmode=disable");
    const error = await attempt({ connectionString: plain, replication }, "IDENTIFY_SYSTEM");
    expect(String(error)).toMatch(message);
  });

  it.each([
    ["logical", "database"],
    ["physical", true],
  ] as const)(
    "takes a %s replication connection over TLS with the password",
    async (_, replication) => {
      const rows = await attempt({ connectionString: url(), replication }, "IDENTIFY_SYSTEM");
      expect(rows).toEqual([expect.objectContaining({ systemid: expect.any(String) as unknown })]);
    },
  );

  it("is refused by a client that trusts another CA", async () => {
    const other = await ensureCa(otherCaDir);
    const error = await attempt({ connectionString: url({ caFile: other.caFile }) });
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/,
    );
  });

  it("refuses a wrong password", async () => {
    const error = await attempt({ connectionString: url({ password: `${password}x` }) });
    // invalid_password: SCRAM authentication failed.
    expect((error as { code?: string }).code).toBe("28P01");
  });
});
