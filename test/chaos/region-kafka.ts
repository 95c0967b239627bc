// Per-region Kafka clusters for tests and the lag bench: one single-broker cluster per region
// (tools/stack/kafka-regions.ts), and, with delays, a delaying proxy in front of each cluster for
// each other region, so region X reaches region Y's cluster with the one-way delay between them.
//
//   cluster i ── PLAINTEXT 19292+2i ◀── region i (its own cluster: its shipper, dead letters)
//             ── FROM_<J> 19300+10i+j ◀── proxy 19400+10i+j (delay i↔j) ◀── region j's merger
//
// Secure (`secure: true`, no delays): each cluster SASL_SSL only with ACLs, like the secure
// stack's broker, and a region's principal on every cluster with one password (grant).
import { rmSync } from "node:fs";
import pg from "pg";
import {
  createTestDatabase,
  findRepoRoot,
  freePort,
  grantKafkaPrincipal,
  readEndpoints,
  replicatorProcess,
  startDelayProxy,
  uniqueName,
} from "@georep/testkit";
import type { DelayProxy, SecureKafkaEndpoint } from "@georep/testkit";
import type { RegionAclInput } from "@georep/kafka";
import type { ChaosRegion } from "./chaos-regions.ts";
import { stackConfig } from "../../tools/stack/config.ts";
import { StackError } from "../../tools/stack/errors.ts";
import { secureBrokerMaterials, secureEndpointOf } from "../../tools/stack/kafka-secure.ts";
import {
  regionClusterLayout,
  regionClusterPid,
  regionClusterProcess,
} from "../../tools/stack/kafka-regions.ts";
import type { RegionClusterProcess } from "../../tools/stack/kafka-regions.ts";

/**
 * One-way delays between the stack's regions (ms): round trips of about 76 ms us-east↔eu-west
 * and 182 ms us-east↔ap-south (the seeds' figures); eu-west↔ap-south is not given there, 130 ms
 * is a realistic Frankfurt–Mumbai round trip.
 */
export const SEED_ONE_WAY_MS: Readonly<Record<string, number>> = {
  "us-east|eu-west": 38,
  "us-east|ap-south": 91,
  "eu-west|ap-south": 65,
};

/** The seeds' one-way delay between two stack regions; 0 for a region and itself. */
export function seedOneWayMs(a: string, b: string): number {
  if (a === b) return 0;
  const ms = SEED_ONE_WAY_MS[`${a}|${b}`] ?? SEED_ONE_WAY_MS[`${b}|${a}`];
  if (ms === undefined)
    throw new Error(`no seed delay between ${a} and ${b}; add it to SEED_ONE_WAY_MS`);
  return ms;
}

export interface RegionKafka {
  readonly clusters: readonly RegionClusterProcess[];
  /** The brokers through which region `viewer` reaches region `owner`'s cluster (indexes). */
  brokers(viewer: number, owner: number): string[];
  /**
   * The `regions` and `kafka` parts of region `viewer`'s replicator config: every region with
   * its cluster as `viewer` reaches it, one replica (single brokers).
   */
  configFor(ids: readonly string[], viewer: number): Record<string, unknown>;
  /**
   * Secure clusters only: region `input.region`'s user with the password in `passwordFile`, and
   * its ACLs, on every cluster (as an operator sets up per-region clusters).
   */
  grant(input: RegionAclInput, passwordFile: string): Promise<void>;
  /** Client connections open through the proxies now (0 without delays). */
  proxyConnections(): number;
  /** Stops the proxies and the brokers (SIGKILL) and deletes their data. */
  close(): Promise<void>;
}

const listenerPort = (owner: number, viewer: number): number => 19_300 + 10 * owner + viewer;
const proxyPort = (owner: number, viewer: number): number => 19_400 + 10 * owner + viewer;

/**
 * Starts one cluster per stack region (in `stackIds` order) and, when `oneWayMs` is given, a proxy
 * per ordered pair of regions. @throws StackError when a broker does not start.
 */
export async function startRegionKafka(o: {
  readonly stackIds: readonly string[];
  readonly oneWayMs?: (a: string, b: string) => number;
  /** SASL_SSL clusters with ACLs, sharing the secure stack's CA and admin (no delays). */
  readonly secure?: boolean;
}): Promise<RegionKafka> {
  const stack = stackConfig(findRepoRoot(), process.env);
  const delayed = o.oneWayMs !== undefined;
  const materials = o.secure === true ? await secureBrokerMaterials(stack) : undefined;
  const layout = regionClusterLayout(
    stack,
    o.stackIds.map((id, owner) => ({
      id,
      listeners: delayed
        ? o.stackIds.flatMap((other, viewer) =>
            viewer === owner
              ? []
              : [
                  {
                    name: `FROM_${other.toUpperCase().replaceAll("-", "_")}`,
                    port: listenerPort(owner, viewer),
                    advertisedPort: proxyPort(owner, viewer),
                  },
                ],
          )
        : [],
    })),
    undefined,
    materials,
  );
  const clusters = layout.map(regionClusterProcess);
  const proxies: DelayProxy[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(clusters.map((c) => c.stop("kill")));
    for (const c of layout) rmSync(c.kafka.dir, { recursive: true, force: true });
  };
  // Two runs at once would share the ports and directories: refuse before deleting anything.
  for (const c of layout) {
    const pid = regionClusterPid(c);
    if (pid !== undefined)
      throw new StackError(
        `region cluster ${c.id} is running already (pid ${pid}): another test uses the per-region clusters`,
        `wait for it to finish, or stop a broker left by a crashed run: kill ${pid}`,
      );
  }
  try {
    for (const c of layout) rmSync(c.kafka.dir, { recursive: true, force: true });
    // Every start settles before a failure is thrown, so close() finds every JVM that started.
    const started = await Promise.allSettled(clusters.map((c) => c.start()));
    for (const s of started) if (s.status === "rejected") throw s.reason;
    if (o.oneWayMs !== undefined)
      for (const [owner, a] of o.stackIds.entries())
        for (const [viewer, b] of o.stackIds.entries())
          if (viewer !== owner)
            proxies.push(
              await startDelayProxy({
                listenPort: proxyPort(owner, viewer),
                targetPort: listenerPort(owner, viewer),
                oneWayDelayMs: o.oneWayMs(a, b),
              }),
            );
  } catch (error) {
    await close();
    throw error;
  }
  const brokers = (viewer: number, owner: number): string[] => {
    const cluster = layout[owner];
    if (cluster === undefined) throw new Error(`no region cluster ${owner}`);
    return viewer === owner || !delayed
      ? [cluster.broker]
      : [`127.0.0.1:${proxyPort(owner, viewer)}`];
  };
  /** The admin's endpoint of each secure cluster (its tools' properties in the cluster's dir). */
  const endpoints = (): SecureKafkaEndpoint[] => {
    if (materials === undefined)
      throw new Error("grant is for secure region clusters (startRegionKafka({ secure: true }))");
    return layout.map((c) => secureEndpointOf(materials, [c.broker], c.kafka.dir));
  };
  return {
    clusters,
    brokers,
    async grant(input, passwordFile) {
      for (const e of endpoints()) await grantKafkaPrincipal(e, input, passwordFile);
    },
    configFor: (ids, viewer) => ({
      regions: ids.map((id, owner) => ({ id, kafka: { brokers: brokers(viewer, owner) } })),
      // Single brokers: one replica. kafka.brokers is the shared form's field and required; here
      // it is this region's own cluster, which regions[] names for every region anyway.
      kafka: {
        brokers: brokers(viewer, viewer),
        replicationFactor: 1,
        topic: { minInsyncReplicas: 1 },
      },
    }),
    proxyConnections: () => proxies.reduce((n, p) => n + p.connections(), 0),
    close,
  };
}

export interface RegionsOnOwnClusters {
  readonly kafka: RegionKafka;
  readonly regions: readonly ChaosRegion[];
  /** Stops the replicators, drops the databases, then stops the clusters. */
  close(): Promise<void>;
}

/**
 * Three regions (the stack's), each with a fresh database, its replicator process (not started)
 * on its own Kafka cluster, reaching the others' with `oneWayMs` delays when given.
 */
export async function regionsOnOwnClusters(o: {
  readonly prefix: string;
  readonly oneWayMs?: (a: string, b: string) => number;
  readonly extra?: Record<string, unknown>;
}): Promise<RegionsOnOwnClusters> {
  const stackIds = readEndpoints().regions.map((r) => r.id);
  const kafka = await startRegionKafka({
    stackIds,
    ...(o.oneWayMs === undefined ? {} : { oneWayMs: o.oneWayMs }),
  });
  const tag = uniqueName(o.prefix).replaceAll("_", "").slice(-8);
  const ids = stackIds.map((s) => `${o.prefix}${tag}-${s}`.slice(0, 31));
  const regions: ChaosRegion[] = [];
  const close = async (): Promise<void> => {
    try {
      for (const r of regions) await r.proc.stop();
      for (const r of regions) {
        await r.pool.end();
        await r.db.drop();
      }
    } finally {
      await kafka.close();
    }
  };
  try {
    for (const [i, stackId] of stackIds.entries()) {
      const id = ids[i] ?? "";
      const db = await createTestDatabase(stackId, o.prefix);
      const proc = replicatorProcess(id, {
        region: id,
        ...kafka.configFor(ids, i),
        postgres: { url: db.url },
        tables: ["counting_results"],
        http: { port: await freePort() },
        ...o.extra,
      });
      regions.push({ id, db, pool: new pg.Pool({ connectionString: db.url, max: 4 }), proc });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { kafka, regions, close };
}
