// Secured regions on Kafka clusters other than the secure stack's broker: the secure stack's
// regions (verify-full TLS and the least-privilege roles, Redis over TLS, signed envelopes;
// test/security/secure-world.ts) with their Kafka moved to secure clusters a test runs itself,
// per region (region-kafka.ts, `secure`) or one replicated cluster (tools/stack/kafka-cluster.ts).
// Each region's one principal gets its password and ACLs on every cluster, as an operator sets up.
import { readSecureEndpoints, replicatorProcess } from "@georep/testkit";
import type { RegionAclInput } from "@georep/kafka";
import { prepareSecureRegions } from "../security/secure-world.ts";
import type { SecureRegions } from "../security/secure-world.ts";
import type { ChaosRegion } from "./chaos-regions.ts";
import { startRegionKafka } from "./region-kafka.ts";
import type { RegionKafka, RegionsOnOwnClusters } from "./region-kafka.ts";

/** Where secured regions' Kafka is. */
export interface SecureKafkaPlacement {
  /** Gives a region's principal the password in `passwordFile`, and its ACLs, on every cluster. */
  grant(input: RegionAclInput, passwordFile: string): Promise<void>;
  /** The brokers through which region `viewer` reaches region `owner`'s topics (indexes). */
  brokers(viewer: number, owner: number): readonly string[];
  /** Merged into every region's `kafka` (replication settings). */
  readonly settings?: Record<string, unknown>;
}

/** The parts of a secured config this file rewrites (secure-world.ts configFor writes them). */
interface SecuredConfig {
  readonly regions: ReadonlyArray<Record<string, unknown> & { readonly id: string }>;
  readonly kafka: Record<string, unknown> & {
    readonly sasl: { readonly password: { readonly file: string } };
  };
}

function securedParts(config: Readonly<Record<string, unknown>>, id: string): SecuredConfig {
  const c = config as Partial<SecuredConfig>;
  if (c.regions === undefined || c.kafka?.sasl.password.file === undefined)
    throw new Error(`region ${id}'s secured config has no regions or kafka.sasl.password.file`);
  return c as SecuredConfig;
}

/**
 * The replicator processes (not started) of `secure`'s regions with their Kafka at `placement`,
 * after granting each region's principal there.
 */
export async function placeSecureRegions(
  secure: SecureRegions,
  placement: SecureKafkaPlacement,
): Promise<ChaosRegion[]> {
  const ids = secure.regions.map((r) => r.id);
  const regions: ChaosRegion[] = [];
  for (const [i, r] of secure.regions.entries()) {
    const parts = securedParts(r.config, r.id);
    await placement.grant(
      { region: r.id, peers: ids.filter((x) => x !== r.id).map((id) => ({ id })) },
      parts.kafka.sasl.password.file,
    );
    const config = {
      ...r.config,
      regions: parts.regions.map((x, owner) => ({
        ...x,
        kafka: { brokers: placement.brokers(i, owner) },
      })),
      kafka: { ...parts.kafka, ...placement.settings, brokers: placement.brokers(i, i) },
    };
    regions.push({ id: r.id, db: r.db, pool: r.pool, proc: replicatorProcess(r.id, config) });
  }
  return regions;
}

/**
 * Three secured regions (the secure stack's clusters), each with its replicator process (not
 * started) on its own secure Kafka cluster. `extra` is merged into every config.
 */
export async function secureRegionsOnOwnClusters(o: {
  readonly prefix: string;
  readonly extra?: Record<string, unknown>;
}): Promise<RegionsOnOwnClusters> {
  let secure: SecureRegions | undefined;
  let kafka: RegionKafka | undefined;
  let regions: ChaosRegion[] = [];
  const close = async (): Promise<void> => {
    try {
      for (const r of regions) await r.proc.stop();
      await secure?.close();
    } finally {
      await kafka?.close();
    }
  };
  try {
    secure = await prepareSecureRegions({
      prefix: o.prefix,
      ...(o.extra === undefined ? {} : { extra: o.extra }),
    });
    // One cluster per secure stack region, in the same order as secure.regions.
    const stackIds = readSecureEndpoints().regions.map((r) => r.id);
    kafka = await startRegionKafka({ stackIds, secure: true });
    regions = await placeSecureRegions(secure, kafka);
  } catch (error) {
    await close();
    throw error;
  }
  return { kafka, regions, close };
}
