// `georep region remove`: a region leaves for good. Its consumer group and (when its config is
// given) its slot go; every remaining region marks it removed, so their mergers stop consuming it
// and nothing waits for it any more. Its components stay in every state row: counts never drop.
import pg from "pg";
import { UsageError } from "@georep/command-line";
import { createKafka } from "@georep/kafka";
import { mergeGroupId } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import type { ReplicatorConfig } from "@georep/replicator";
import {
  clusterBrokers,
  partitionsBehind,
  kafkaSecurityOption,
  pgClientConfig,
  shippedTopicEnds,
} from "@georep/replicator";
import { waitUntil } from "./wait-until.ts";
import { readMembers, removeMember } from "@georep/schema";
import { audited } from "../audit.ts";
import { loadRegionConfigs } from "../config.ts";

export interface RegionRemoveReport {
  readonly region: string;
  readonly removedIn: readonly string[];
  readonly consumerGroup: "deleted" | "absent";
  readonly slot: "dropped" | "absent" | "not given";
  readonly remaining: readonly string[];
}

/**
 * @throws UsageError (nothing changed) when the region is not a live member, when removing it
 * would leave a region without a peer, or when a remaining region's config is missing.
 */
export async function removeRegion(
  configPaths: readonly string[],
  flags: { readonly region: string; readonly drainSeconds: number },
): Promise<RegionRemoveReport> {
  const configs = loadRegionConfigs(configPaths);
  const leaving = configs.find((c) => c.region === flags.region);
  const remaining = configs.filter((c) => c !== leaving);
  const pools = new Map(
    configs.map((c) => [c.region, new pg.Pool({ ...pgClientConfig(c.postgres, "admin"), max: 2 })]),
  );
  const pool = (c: ReplicatorConfig): pg.Pool => pools.get(c.region) as pg.Pool;
  const first = remaining[0] as ReplicatorConfig;
  // As the leaving region when its config is given: with broker ACLs a region's group is its own
  // alone, and another region's principal sees none of its zone topics but its own zone's, whose
  // ends it would read as empty (region-acls.ts).
  const owner = leaving ?? first;
  const kafka = createKafka({
    // The leaving region's topics and consumer group are on its own cluster (or the shared one).
    brokers: clusterBrokers(owner, flags.region),
    clientId: "georep-region-remove",
    logger: silentLogger(),
    ...kafkaSecurityOption(owner),
  });
  // Recorded in every region given: the remaining ones' membership changes, the leaving one's
  // slot is dropped.
  const action = {
    command: "region remove",
    flags: { config: configPaths, region: flags.region, drainSeconds: flags.drainSeconds },
    regions: configs.map((c) => ({ region: c.region, db: pool(c) })),
    summary: (r: RegionRemoveReport) =>
      `removed in ${r.removedIn.join(", ")}; consumer group ${r.consumerGroup}; slot ${r.slot}`,
  };
  try {
    return await audited(action, async () => {
      const members = await readMembers(pool(first));
      if (!members.some((m) => m.id === flags.region))
        throw new UsageError(
          `region '${flags.region}' is not a live member (members: ${members.map((m) => m.id).join(", ")}); nothing to remove`,
          "--region",
        );
      const after = members.filter((m) => m.id !== flags.region);
      if (after.length < 2)
        throw new UsageError(
          `removing '${flags.region}' would leave ${after.map((m) => m.id).join(", ")} without a peer; georep replicates between at least two regions`,
          "--region",
        );
      const missing = after.filter((m) => !remaining.some((c) => c.region === m.id));
      if (missing.length > 0)
        throw new UsageError(
          `give --config of every remaining region: missing ${missing.map((m) => m.id).join(", ")}`,
          "--config",
        );
      // Every remaining region must hold all the leaving one shipped before it stops consuming
      // it: one that lagged would keep a count the others have, for good.
      const zones = [...new Set(members.flatMap((m) => (m.zone === undefined ? [] : [m.zone])))];
      const ends = await shippedTopicEnds(kafka, flags.region, zones);
      const lagging = await waitUntil(flags.drainSeconds * 1000, async () => {
        const behind: string[] = [];
        for (const c of remaining) {
          const zone = members.find((m) => m.id === c.region)?.zone;
          if ((await partitionsBehind(pool(c), flags.region, zone, ends)) > 0)
            behind.push(c.region);
        }
        return behind;
      });
      if (lagging.length > 0)
        throw new UsageError(
          `${lagging.join(", ")} did not apply everything '${flags.region}' shipped within ${flags.drainSeconds} s; check their mergers (georep status) and run again, or raise --drain-seconds`,
          "--drain-seconds",
        );
      // Then the group, refused while the region's merge workers run: then nothing has changed.
      // Its merger reads every other region's cluster with one group id: the group is on each.
      let consumerGroup: RegionRemoveReport["consumerGroup"] = "absent";
      const clusters = new Map(
        after.map((m) => {
          const brokers = clusterBrokers(owner, m.id);
          return [brokers.join(","), brokers] as const;
        }),
      );
      for (const brokers of clusters.values()) {
        const cluster = createKafka({
          brokers,
          clientId: "georep-region-remove",
          logger: silentLogger(),
          ...kafkaSecurityOption(owner),
        });
        try {
          if ((await cluster.admin.deleteGroup(mergeGroupId(flags.region))) === "deleted")
            consumerGroup = "deleted";
        } catch (error) {
          throw new UsageError(
            `region '${flags.region}''s merge consumer group could not be deleted on ${brokers.join(",")} (${(error as Error).message}); stop every replicator of '${flags.region}' first${leaving === undefined && owner.kafkaSecurity !== undefined ? `, and give its config: with broker ACLs only its own principal may delete its group` : ""}`,
            "--region",
            { cause: error },
          );
        } finally {
          await cluster.disconnect();
        }
      }
      const removedIn: string[] = [];
      for (const c of remaining) {
        await removeMember(pool(c), flags.region);
        removedIn.push(c.region);
      }
      const slot =
        leaving === undefined ? "not given" : await dropSlot(pool(leaving), leaving.slot);
      return {
        region: flags.region,
        removedIn,
        consumerGroup,
        slot,
        remaining: after.map((m) => m.id),
      };
    });
  } finally {
    await kafka.disconnect();
    await Promise.all([...pools.values()].map((p) => p.end()));
  }
}

/** Drops the leaving region's slot, which would otherwise hold its WAL for good. */
async function dropSlot(pool: pg.Pool, slot: string): Promise<"dropped" | "absent"> {
  const { rows } = await pool.query<{ active: boolean }>(
    "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
  if (rows[0] === undefined) return "absent";
  if (rows[0].active)
    throw new UsageError(
      `slot '${slot}' is still streaming; stop the region's replicator and run georep region remove again (the remaining regions already count it removed)`,
      "--region",
    );
  await pool.query("SELECT pg_drop_replication_slot($1)", [slot]);
  return "dropped";
}

export function renderRegionRemove(r: RegionRemoveReport): string {
  return [
    `region ${r.region} removed in ${r.removedIn.join(", ")}; members now: ${r.remaining.join(", ")}`,
    `consumer group: ${r.consumerGroup}; slot: ${r.slot}`,
    "its components stay in every row (counts never drop); its topics are kept: delete them once no one needs them",
  ].join("\n");
}
