// What `georep region add|rebuild|remove` refuse before they change anything.
import type pg from "pg";
import { UsageError } from "@georep/command-line";
import type { ReplicatorConfig } from "@georep/replicator";
import { ENGINE_MIGRATION_VERSIONS, readRegionRows, stateLayout } from "@georep/schema";

/** The config of `region` among the given ones. @throws UsageError when there is none. */
export function configOf(configs: readonly ReplicatorConfig[], region: string): ReplicatorConfig {
  const found = configs.find((c) => c.region === region);
  if (found === undefined)
    throw new UsageError(
      `--region '${region}' has no --config (${configs.map((c) => c.region).join(", ")}); add its config`,
      "--region",
    );
  return found;
}

/**
 * Refuses a target database that holds anything of georep or of the replicated tables: copying
 * peers' state over rows already counted here would count them twice.
 * @throws UsageError naming the table that holds rows.
 */
export async function checkEmpty(pool: pg.Pool, config: ReplicatorConfig): Promise<void> {
  const tables = config.schema.tables.map(stateLayout);
  const candidates = ["georep.progress", ...tables.flatMap((l) => [l.stateTable, l.userTable])];
  for (const table of candidates) {
    const { rows } = await pool.query<{ found: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS found`,
      [table],
    );
    if (rows[0]?.found !== true) continue;
    const { rowCount } = await pool.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if ((rowCount ?? 0) > 0)
      throw new UsageError(
        `region '${config.region}': its database already holds data (${table} has rows); give an empty database (drop and create it), so nothing is counted twice`,
        "--config",
      );
  }
}

/** A peer's membership row for `region`, if any (removed ones included). */
export async function membershipOf(
  peer: pg.Pool,
  region: string,
): Promise<"live" | "removed" | "absent"> {
  const row = (await readRegionRows(peer)).find((r) => r.id === region);
  if (row === undefined) return "absent";
  return row.removedAt === null ? "live" : "removed";
}

/**
 * Refuses a source whose engine schema or table specs differ from what this georep installs
 * from the target's config: its state rows would not mean what the target's merge expects.
 * @throws UsageError naming the peer, the migration versions or the table.
 */
export async function checkSameSchema(
  peer: pg.Pool,
  peerRegion: string,
  config: ReplicatorConfig,
): Promise<void> {
  const { rows } = await peer.query<{ version: number }>(
    "SELECT version FROM georep.migrations ORDER BY version",
  );
  const theirs = rows.map((r) => r.version).join(",");
  const ours = ENGINE_MIGRATION_VERSIONS.join(",");
  if (theirs !== ours)
    throw new UsageError(
      `peer '${peerRegion}' has engine schema migrations [${theirs}], this georep installs [${ours}]; upgrade both to one georep version (georep schema apply on '${peerRegion}') first`,
      "--from",
    );
  for (const layout of config.schema.tables.map(stateLayout)) {
    const name = `${layout.spec.schema}.${layout.spec.name}`;
    const { rows: specs } = await peer.query<{ same: boolean }>(
      "SELECT spec = $2::jsonb AS same FROM georep.installed WHERE table_name = $1",
      [name, JSON.stringify(layout.spec)],
    );
    if (specs[0]?.same !== true)
      throw new UsageError(
        `peer '${peerRegion}' has ${specs[0] === undefined ? "no" : "another"} spec of table ${name} than the config's; give every region the same table specs (georep schema apply) first`,
        "--from",
      );
  }
}

/**
 * A region in a zone copies from a peer of its zone: only such a peer holds the zone's resident
 * rows and its progress on the zone topics (where the copy's merger reads on from).
 * @throws UsageError naming a peer of the zone, or saying none is given.
 */
export function checkSourceZone(
  target: ReplicatorConfig,
  source: ReplicatorConfig,
  configs: readonly ReplicatorConfig[],
): void {
  const zoneOf = (c: ReplicatorConfig, id: string) => c.regions.find((r) => r.id === id)?.zone;
  const zone = zoneOf(target, target.region);
  if (zone === undefined || zoneOf(target, source.region) === zone) return;
  const inZone = configs.filter((c) => c !== target && zoneOf(target, c.region) === zone);
  throw new UsageError(
    inZone.length > 0
      ? `--from '${source.region}' is outside zone '${zone}' of region '${target.region}': its copy would lack the zone's rows; use --from ${inZone.map((c) => c.region).join(" or ")}`
      : `region '${target.region}' is in zone '${zone}' and no peer given is: give the config of a peer in that zone (its zone's rows are kept nowhere else)`,
    "--from",
  );
}

/**
 * With signed envelopes, every peer's config must accept the region's signing key before the
 * region ships: a merger without it dead-letters the region's records (`no public key configured`,
 * never quarantined), so that peer would miss its counts. A region that does not sign is refused
 * by every peer that verifies without `signing.acceptUnsigned`. Peers that verify nothing are
 * fine. Checked on the configs given, which the peers' replicators must be rolled with before the
 * region starts (docs/security.md, "Key rotation").
 * @throws UsageError naming the peers whose configs would refuse the region's records.
 */
export function checkPeersVerify(
  target: ReplicatorConfig,
  peers: readonly ReplicatorConfig[],
): void {
  const keyId = target.envelopeSigning?.signer?.keyId;
  const verifying = peers.filter((p) => p.envelopeSigning !== undefined);
  if (keyId === undefined) {
    const strict = verifying.filter((p) => p.envelopeSigning?.acceptUnsigned !== true);
    if (strict.length > 0)
      throw new UsageError(
        `region '${target.region}' does not sign its envelopes, and the config of ${names(strict)} verifies every record: give '${target.region}' a signing.privateKey and its public key in every config, or its records are dead-lettered there`,
        "--config",
      );
    return;
  }
  const lacking = verifying.filter(
    (p) => !(p.envelopeSigning?.keyIds[target.region] ?? []).includes(keyId),
  );
  if (lacking.length > 0)
    throw new UsageError(
      `region '${target.region}' signs with key ${keyId}, which the config of ${names(lacking)} does not list: add its public key to that config's regions[] entry for '${target.region}' and roll those replicators before '${target.region}' starts, or they dead-letter its records`,
      "--config",
    );
}

const names = (configs: readonly ReplicatorConfig[]): string =>
  configs.map((c) => `'${c.region}'`).join(", ");

/**
 * An add interrupted while registering the region: it is a member of some peers and still held
 * for in the others (admitMember releases a peer's hold as it makes the region a member there,
 * and every peer was held before the copy). Its replicator never ran, so it is filled again
 * (into an empty database) and registered everywhere. A region live everywhere is an add that
 * finished: it exists.
 */
export function interruptedAdd(
  standing: ReadonlyArray<{ member: "live" | "removed" | "absent"; held: boolean }>,
): boolean {
  return (
    standing.some((s) => s.member === "live") &&
    standing.some((s) => s.member === "absent") &&
    standing.every((s) => s.member === "live" || (s.member === "absent" && s.held))
  );
}
