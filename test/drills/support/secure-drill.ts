// Drill regions on the secure stack, every link secured as production runs them (verify-full
// PostgreSQL with the least-privilege roles, Kafka SASL_SSL with a principal per region and its
// ACLs, Redis over TLS with logins, signed envelopes; test/security/secure-world.ts), one per
// secure stack cluster, georep installed by `georep schema apply`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";
import type { DrillRegionConfig } from "./replicators.ts";
import { prepareSecureRegions } from "../../security/secure-world.ts";
import type { MemberDb, SecureRegionSetup } from "../../security/secure-world.ts";

export interface SecureDrill {
  readonly regions: readonly DrillRegionConfig[];
  /** Each region's database and admin pool (for a drill that drops and restores one). */
  readonly setups: readonly SecureRegionSetup[];
  /** Ends the pools and drops the databases; stop the replicators first. */
  close(): Promise<void>;
}

export async function secureDrillRegions(prefix: string): Promise<SecureDrill> {
  const secure = await prepareSecureRegions({ prefix });
  const regions: DrillRegionConfig[] = [];
  for (const r of secure.regions)
    regions.push({
      id: r.id,
      url: r.db.url,
      httpPort: await freePort(),
      secure: { config: r.config, peerLogin: r.peerLogin },
    });
  return { regions, setups: secure.regions, close: () => secure.close() };
}

export interface SecureDrillMembers {
  /**
   * A secured drill region on `member`'s database (a drill cluster's, with `server`, or the
   * secure stack's), its config listing `ids`; `url` is the test's admin URL of that database.
   */
  region(
    member: MemberDb,
    ids: readonly string[],
    url: string,
    httpPort: number,
  ): Promise<DrillRegionConfig>;
  /** `georep schema apply` with the region's config: installs and sets the roles' passwords. */
  install(region: DrillRegionConfig): Promise<void>;
  close(): Promise<void>;
}

/** For drills that place their secured regions themselves (the secure stack is started first). */
export async function secureDrillMembers(prefix: string): Promise<SecureDrillMembers> {
  const secure = await prepareSecureRegions({ prefix, count: 0 });
  const dir = mkdtempSync(join(tmpdir(), "georep-drill-configs-"));
  return {
    region: async (member, ids, url, httpPort) => ({
      id: member.id,
      url,
      httpPort,
      secure: { config: await secure.configFor(member, ids), peerLogin: secure.peerLogin(member) },
    }),
    async install(region) {
      const path = join(dir, `${region.id}.json`);
      writeFileSync(path, JSON.stringify(region.secure?.config ?? {}));
      await secure.cli("schema", "apply", "--config", path);
    },
    async close() {
      await secure.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
