// Replicator OS processes for the drills: configs (with repair peers), fixed HTTP ports so /ready can be polled from outside, and stops that cannot hang.
import pg from "pg";
import { parseReplicatorConfig } from "@georep/replicator";
import { installSchema } from "@georep/schema";
import { devKafka, readEndpoints, replicatorProcess, uniqueName, waitFor } from "@georep/testkit";
import type { ReplicatorProcess } from "@georep/testkit";

export interface DrillRegionConfig {
  readonly id: string;
  /** Its database, as the replicator sees it now (on the secure stack: the test's admin URL). */
  readonly url: string;
  readonly httpPort: number;
  /**
   * On the secure stack (secure-drill.ts): the region's secured config, its schema applied by
   * `georep schema apply`, and the login its peers' repair reads it with.
   */
  readonly secure?: {
    readonly config: Readonly<Record<string, unknown>>;
    readonly peerLogin: { readonly url: string; readonly password: { readonly file: string } };
  };
}

/**
 * One region id per stack cluster, unique to this run (so the Kafka topics `georep.<id>` are
 * this drill's alone): `<prefix><tag>-<cluster>`, at most 31 characters.
 */
export function drillRegionIds(prefix: string): string[] {
  const tag = uniqueName("d").replaceAll("_", "").slice(-7);
  return readEndpoints().regions.map((r) => `${prefix}${tag}-${r.id}`.slice(0, 31));
}

/** The slot a drill replicator streams from (set explicitly so the drill can watch it). */
export function drillSlot(region: string): string {
  return `georep_${region.replaceAll("-", "_")}`;
}

/** A replicator config for `self`, every region of the drill, and the others as repair peers. */
export function drillConfig(
  self: DrillRegionConfig,
  all: readonly DrillRegionConfig[],
): Record<string, unknown> {
  const others = all.filter((r) => r.id !== self.id);
  if (self.secure !== undefined)
    return {
      ...self.secure.config,
      http: { port: self.httpPort, host: "127.0.0.1" },
      slotName: drillSlot(self.id),
      peers: others.map((r) => ({ region: r.id, postgres: r.secure?.peerLogin ?? { url: r.url } })),
      // With both stacks up this 2-core machine once stalled a freshly restarted replicator past
      // the default 6 s lease, and it stepped down as designed (a supervisor would restart it; the
      // drill has none). A crashed active is replaced within pollMs whatever the lease.
      leadership: { leaseMs: 15_000 },
    };
  return {
    region: self.id,
    regions: all.map((r) => ({ id: r.id })),
    postgres: { url: self.url },
    kafka: devKafka(),
    tables: ["counting_results"],
    http: { port: self.httpPort, host: "127.0.0.1" },
    slotName: drillSlot(self.id),
    peers: others.map((r) => ({ region: r.id, postgres: { url: r.url } })),
  };
}

/**
 * Installs georep in every region's database before any replicator starts, as an operator runs
 * `georep schema apply` per region: a replicator checks at start that its peers' databases are
 * theirs, so they must be installed already.
 */
export async function installRegions(all: readonly DrillRegionConfig[]): Promise<void> {
  for (const r of all) {
    if (r.secure !== undefined) continue; // installed by georep schema apply (secure-drill.ts)
    const { schema } = parseReplicatorConfig(drillConfig(r, all));
    const client = new pg.Client({ connectionString: r.url });
    await client.connect();
    try {
      await installSchema(client, schema);
    } finally {
      await client.end();
    }
  }
}

/** A replicator process (not started) for `self`. */
export function drillReplicator(
  self: DrillRegionConfig,
  all: readonly DrillRegionConfig[],
): ReplicatorProcess {
  return replicatorProcess(self.id, drillConfig(self, all));
}

/** Whether GET /ready on the replicator's HTTP port answers 200. */
export async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ready`, {
      signal: AbortSignal.timeout(2_000),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Polls GET /ready until it answers 200; returns Date.now() at that moment. */
export async function waitReady(region: string, port: number, timeoutMs = 90_000): Promise<number> {
  await waitFor(() => isReady(port), {
    description: `replicator ${region} to answer 200 on GET /ready (port ${port})`,
    timeoutMs,
    intervalMs: 50,
  });
  return Date.now();
}

/** SIGTERM, and kill -9 if it has not exited after `graceMs`: a cleanup that cannot hang. */
export async function stopReplicator(proc: ReplicatorProcess, graceMs = 20_000): Promise<void> {
  await proc.stop(graceMs);
}
