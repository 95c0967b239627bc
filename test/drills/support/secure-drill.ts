// Drill regions on the secure stack, every link secured as production runs them (verify-full
// PostgreSQL with the least-privilege roles, Kafka SASL_SSL with a principal per region and its
// ACLs, Redis over TLS with logins, signed envelopes; test/security/secure-world.ts), one per
// secure stack cluster, georep installed by `georep schema apply`.
import { freePort } from "./free-port.ts";
import type { DrillRegionConfig } from "./replicators.ts";
import { prepareSecureRegions } from "../../security/secure-world.ts";
import type { SecureRegionSetup } from "../../security/secure-world.ts";

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
