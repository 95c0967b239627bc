// `georep region add` and `georep region rebuild`: a region's database filled from a consistent
// snapshot of a peer's CRDT state (every origin's and incarnation's components, not plain rows),
// with the positions its merger goes on from (docs/operate.md, "Region lifecycle").
import pg from "pg";
import { UsageError } from "@georep/command-line";
import { createKafka } from "@georep/kafka";
import type { KafkaClient } from "@georep/kafka";
import { sourceTopics } from "@georep/merger";
import { silentLogger, systemClock } from "@georep/observability";
import type { ReplicatorConfig } from "@georep/replicator";
import {
  clusterBrokers,
  kafkaSecurityOption,
  pgClientConfig,
  setRolePasswords,
  shippedTopicEnds,
} from "@georep/replicator";
import { copySnapshot } from "@georep/repair";
import type { RepairProgress, SnapshotCopyReport } from "@georep/repair";
import {
  admitMember,
  collectionHeld,
  currentIncarnation,
  holdCollection,
  installSchema,
  readMembers,
  readRegionRows,
  startIncarnation,
  stateLayout,
} from "@georep/schema";
import { audited } from "../audit.ts";
import type { AuditTrail } from "../audit.ts";
import { loadRegionConfigs } from "../config.ts";
import { progressBar } from "../output/progress.ts";
import { waitForSourceToCover } from "./rebuild-wait.ts";
import {
  checkEmpty,
  checkPeersVerify,
  checkSameSchema,
  checkSourceZone,
  configOf,
  interruptedAdd,
  membershipOf,
} from "./region-checks.ts";

export type RegionFill = "add" | "rebuild";

export interface RegionFillReport {
  readonly mode: RegionFill;
  readonly region: string;
  /** The replica the region's local writes count under from now on. */
  readonly replica: string;
  readonly copy: SnapshotCopyReport;
  /** An earlier add of the region was interrupted while registering it (interruptedAdd). */
  readonly resumed: boolean;
  /** Peers whose membership now lists the region (add only). */
  readonly registeredIn: readonly string[];
  /** The least-privilege roles whose passwords were set from the config (as schema apply does). */
  readonly rolePasswordsSet: readonly string[];
  readonly seconds: number;
}

export interface RegionFillOptions {
  readonly region: string;
  readonly from?: string | undefined;
  readonly progress: boolean;
}

/**
 * Fills `region`'s empty database from a peer. `add`: a region id no peer knows, registered in
 * every peer's membership afterwards (their replicators start consuming it). `rebuild`: a live
 * member whose database was lost; it starts a new incarnation before anything else, so its
 * earlier components come back from the peer and its new writes count apart from them.
 * @throws UsageError (nothing changed) for an id that exists (add) or is unknown (rebuild), a
 * database that holds data, or a peer whose schema differs.
 */
export async function fillRegion(
  mode: RegionFill,
  configPaths: readonly string[],
  flags: RegionFillOptions,
): Promise<RegionFillReport> {
  const started = Date.now();
  const configs = loadRegionConfigs(configPaths);
  const target = configOf(configs, flags.region);
  const peers = configs.filter((c) => c !== target);
  const first = peers[0];
  if (first === undefined)
    throw new UsageError("--config needs the region's own config and its peers'", "--config");
  const source = configOf(peers, flags.from ?? first.region);
  const pools = new Map(
    configs.map((c) => [c.region, new pg.Pool({ ...pgClientConfig(c.postgres, "admin"), max: 3 })]),
  );
  const pool = (c: ReplicatorConfig): pg.Pool => pools.get(c.region) as pg.Pool;
  const kafka = createKafka({
    // The source's own topics are on its own cluster (per-region clusters) or the shared one.
    brokers: clusterBrokers(source, source.region),
    clientId: `georep-region-${mode}`,
    logger: silentLogger(),
    ...kafkaSecurityOption(source),
  });
  const ownClients: KafkaClient[] = [];
  // The lost region's topic is on its own cluster (per-region clusters) or the shared one.
  const ownKafka = (c: ReplicatorConfig): KafkaClient => {
    const client = createKafka({
      brokers: clusterBrokers(c, c.region),
      clientId: `georep-region-${mode}`,
      logger: silentLogger(),
      ...kafkaSecurityOption(c),
    });
    ownClients.push(client);
    return client;
  };
  const bar = progressBar(
    ` ${target.region} ← {source} {table} [{bar}] {value}/{total} rows`,
    flags.progress,
  );
  // Recorded in every region it writes to: the filled one (from inside its schema install: its
  // database is empty until then) and, for add, every peer (their membership changes).
  const action = {
    command: `region ${mode}`,
    flags: { config: configPaths, region: flags.region, from: flags.from },
    regions: mode === "add" ? peers.map((c) => ({ region: c.region, db: pool(c) })) : [],
    summary: (r: RegionFillReport) =>
      `${r.copy.rowsMerged} state rows copied from ${r.copy.source}; replica ${r.replica}`,
  };
  try {
    return await audited(action, async (trail) => {
      const standing = await Promise.all(
        peers.map(async (peer) => ({
          peer,
          member: await membershipOf(pool(peer), target.region),
          held: await collectionHeld(pool(peer), target.region),
        })),
      );
      const resumed = mode === "add" && interruptedAdd(standing);
      if (resumed) await checkResumedZone(standing, pool, target);
      for (const { peer, member } of standing) {
        if (mode === "add" && member !== "absent" && !resumed)
          throw new UsageError(
            `region '${target.region}' already exists (${member} in '${peer.region}''s membership); pick a new region id${member === "live" ? ", or rebuild a lost region with georep region rebuild" : ": a removed region's id is never reused"}`,
            "--region",
          );
        if (mode === "rebuild" && member !== "live")
          throw new UsageError(
            `region '${target.region}' is ${member === "absent" ? "not a member" : "removed"} in '${peer.region}''s membership; rebuild only a live region (add a new one with georep region add)`,
            "--region",
          );
      }
      const members = await readMembers(pool(source));
      // Every member is registered (add) and every one must follow the new one: all configs.
      const unconfigured = members.filter((m) => !configs.some((c) => c.region === m.id));
      if (unconfigured.length > 0)
        throw new UsageError(
          `give --config of every region: missing ${unconfigured.map((m) => m.id).join(", ")}`,
          "--config",
        );
      const missing = members.filter((m) => !target.regions.some((r) => r.id === m.id));
      if (missing.length > 0)
        throw new UsageError(
          `region '${target.region}''s config must list every region; add ${missing.map((m) => m.id).join(", ")} to its regions`,
          "--config",
        );
      checkSourceZone(target, source, configs);
      checkPeersVerify(target, peers);
      await checkEmpty(pool(target), target);
      await checkSameSchema(pool(source), source.region, target);
      if (mode === "rebuild" && target.merge.collectTombstones)
        await waitForSourceToCover({
          kafka: ownKafka(target),
          lost: target.region,
          source: { region: source.region, pool: pool(source) },
          bar,
        });

      const { replica, rolePasswordsSet } = await prepareTarget(mode, pool(target), target, trail);
      const zone = target.regions.find((r) => r.id === target.region)?.zone;
      const regions = [...members, ...(mode === "add" ? [{ id: target.region, zone }] : [])];
      const consumes = new Map(
        sourceTopics(target.region, regions).map((t) => [t.topic, t.origin]),
      );
      const sourceZones = [
        ...new Set(regions.flatMap((r) => (r.zone === undefined ? [] : [r.zone]))),
      ];
      // Peers' collection waits for the new region from before the snapshot: a delete the copy
      // misses must not be collected anywhere until the region has applied it (it reports so
      // once it runs). Released below once it is a member, which collection waits for too.
      if (mode === "add")
        for (const peer of peers)
          await holdCollection(pool(peer), target.region, "georep region add");
      const copy = await copySnapshot({
        target: { region: target.region, zone, pool: pool(target), replica },
        source: { region: source.region, pool: pool(source) },
        layouts: target.schema.tables.map(stateLayout),
        consumes,
        sourceTopicEnds: () => shippedTopicEnds(kafka, source.region, sourceZones),
        logger: silentLogger(),
        clock: systemClock,
        onProgress: (p: RepairProgress) => {
          bar.update(`${p.source}|${p.table}`, p.merged, p.total, {
            source: p.source,
            table: p.table,
          });
        },
      });
      bar.stop();
      const registeredIn: string[] = [];
      if (mode === "add")
        for (const peer of peers) {
          await admitMember(pool(peer), { id: target.region, zone });
          registeredIn.push(peer.region);
        }
      return {
        mode,
        region: target.region,
        replica,
        copy,
        resumed,
        registeredIn,
        rolePasswordsSet,
        seconds: (Date.now() - started) / 1000,
      };
    });
  } finally {
    bar.stop();
    await kafka.disconnect();
    await Promise.all(ownClients.map((c) => c.disconnect()));
    await Promise.all([...pools.values()].map((p) => p.end()));
  }
}

/**
 * A resumed add keeps the zone the peers that admitted the region already hold: admitting it
 * again leaves their row as it is, and the copy's positions follow the zone.
 * @throws UsageError naming the peer and both zones.
 */
async function checkResumedZone(
  standing: ReadonlyArray<{ peer: ReplicatorConfig; member: string }>,
  pool: (c: ReplicatorConfig) => pg.Pool,
  target: ReplicatorConfig,
): Promise<void> {
  const zone = target.regions.find((r) => r.id === target.region)?.zone ?? null;
  for (const { peer, member } of standing) {
    if (member !== "live") continue;
    const row = (await readRegionRows(pool(peer))).find((r) => r.id === target.region);
    const theirs = row?.zone ?? null;
    if (theirs !== zone)
      throw new UsageError(
        `resuming the add of '${target.region}': '${peer.region}' admitted it in zone ${theirs ?? "(none)"}, this config gives ${zone ?? "(none)"}; give it the zone it was added with`,
        "--config",
      );
  }
}

/**
 * Installs the schema and, with `postgres.roles`, sets the roles' passwords as `schema apply`
 * does (on a new cluster the replicator could not log in otherwise); a rebuilt region then starts
 * a new incarnation at once, before any local write could count under a replica whose higher
 * values its peers already hold.
 */
async function prepareTarget(
  mode: RegionFill,
  pool: pg.Pool,
  config: ReplicatorConfig,
  trail: AuditTrail,
): Promise<{ replica: string; rolePasswordsSet: string[] }> {
  const client = await pool.connect();
  try {
    await installSchema(client, config.schema, undefined, {
      afterMigrations: (tx) => trail.join({ region: config.region, db: pool }, tx),
    });
    const rolePasswordsSet = await setRolePasswords(client, config.postgres);
    if (mode === "rebuild")
      await startIncarnation(
        client,
        { region: config.region, tables: config.schema.tables },
        "rebuilt from peers (georep region rebuild)",
        Date.now(),
      );
    const replica = (await currentIncarnation(client))?.replica ?? config.region;
    return { replica, rolePasswordsSet };
  } finally {
    client.release();
  }
}

export function renderRegionFill(report: RegionFillReport): string {
  const verb = report.mode === "add" ? "added" : "rebuilt";
  const lines = [
    ...(report.resumed
      ? [`an earlier add of ${report.region} was interrupted while registering it: resumed`]
      : []),
    `region ${report.region} ${verb} from ${report.copy.source} in ${report.seconds.toFixed(1)} s: ${report.copy.rowsMerged} state rows copied, ${report.copy.positions.length} partition positions seeded, ${report.copy.setAside.quarantined} set-aside rows and ${report.copy.setAside.gaps} unrepaired gaps taken over; local writes count under replica ${report.replica}`,
  ];
  if (report.rolePasswordsSet.length > 0)
    lines.push(`role passwords set: ${report.rolePasswordsSet.join(", ")}`);
  if (report.registeredIn.length > 0)
    lines.push(
      `registered in ${report.registeredIn.join(", ")}: their replicators start consuming it`,
    );
  lines.push(`next: start ${report.region}'s replicator`);
  return lines.join("\n");
}
