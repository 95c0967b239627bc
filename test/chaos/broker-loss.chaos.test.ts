import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import type { CountReport } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { adminKafka, findRepoRoot, grantKafkaPrincipal, waitFor } from "@georep/testkit";
import { stackConfig } from "../../tools/stack/config.ts";
import { startKafkaCluster } from "../../tools/stack/kafka-cluster.ts";
import type { KafkaCluster } from "../../tools/stack/kafka-cluster.ts";
import { secureBrokerMaterials, secureEndpointOf } from "../../tools/stack/kafka-secure.ts";
import { prepareSecureRegions } from "../security/secure-world.ts";
import type { SecureRegions } from "../security/secure-world.ts";
import { writeRound } from "./chaos-regions.ts";
import type { ChaosRegion } from "./chaos-regions.ts";
import { regionsExact } from "./exact-regions.ts";
import { placeSecureRegions } from "./secure-region-kafka.ts";

// Secured, like the rest of the chaos suite: the secure stack's regions on a three-broker cluster
// (tools/stack/kafka-cluster.ts) that is SASL_SSL with ACLs between clients and brokers and
// between brokers, each region's principal granted on it.

/** The seeds' queue objective: recovery within 3 minutes, nothing acknowledged lost (RPO 0). */
const QUEUE_RTO_MS = 3 * 60_000;

/** A round's own truth that also records into the whole run's. */
class RoundTruth extends GroundTruth {
  constructor(private readonly all: GroundTruth) {
    super();
  }
  override record(r: CountReport): void {
    super.record(r);
    this.all.record(r);
  }
}

/** Whether every region holds exactly `truth`'s counts for the cameras of `round`. */
async function roundHeld(
  regions: readonly ChaosRegion[],
  round: number,
  truth: GroundTruth,
): Promise<boolean> {
  const want = truth.total();
  for (const r of regions) {
    const { rows } = await r.pool.query<{ i: string; o: string }>(
      `SELECT coalesce(sum(people_in),0)::text AS i, coalesce(sum(people_out),0)::text AS o
       FROM counting_results WHERE camera_id LIKE $1`,
      [`cam-${round}-%`],
    );
    if (BigInt(rows[0]?.i ?? "-1") !== want.peopleIn) return false;
    if (BigInt(rows[0]?.o ?? "-1") !== want.peopleOut) return false;
  }
  return true;
}

/** What each region holds of a round, and its replication gauges: printed when a wait fails. */
async function explain(
  regions: readonly ChaosRegion[],
  round: number,
  truth: GroundTruth,
): Promise<void> {
  const lines = [`round ${round}: want people_in ${truth.total().peopleIn}`];
  for (const r of regions) {
    // Per origin: the state table holds each origin's components (docs/data-model.md).
    const held = await r.pool
      .query<{ origin: string; i: string }>(
        `SELECT origin, sum(people_in)::text AS i FROM georep."state__public__counting_results"
         WHERE camera_id LIKE $1 GROUP BY 1 ORDER BY 1`,
        [`cam-${round}-%`],
      )
      .then(
        ({ rows }) => rows.map((x) => `${x.origin}=${x.i}`).join(" "),
        (e: unknown) => String(e),
      );
    lines.push(`${r.id} holds per origin: ${held}`);
    const metrics = await r.proc.scrape().catch((e: unknown) => String(e));
    lines.push(
      ...metrics
        .split("\n")
        .filter((l) =>
          /^georep_(consumer_lag_records|replication_lag_seconds|reader_unshipped_wal_bytes|reader_durable_lsn|merge_(batches|gap_records|fenced|consumer_restarts)_total|quarantine|dead_letter)/.test(
            l,
          ),
        )
        .map((l) => `  ${l}`),
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Partition leaders per broker node id over `topics`. */
async function leadersByBroker(admin: Admin, topics: string[]): Promise<Map<number, number>> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const counts = new Map<number, number>();
  for (const t of metadata)
    for (const p of t.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
  return counts;
}

/**
 * About one run in eight lost a round of writes until kafkajs 2.2.4's resolving a send with a
 * partition it never sent (kafkajs#1303) was caught by the producer's check
 * (packages/kafka/src/unacknowledged.ts, test/chaos/producer-leader-move.chaos.test.ts); with it,
 * 13 runs of 13 passed (docs/operate.md, "Topology"), and the test runs with the suite.
 */
describe("chaos: a broker of a three-broker cluster lost", () => {
  const { seed } = propertyConfig();
  let cluster: KafkaCluster | undefined;
  let secure: SecureRegions | undefined;
  let regions: ChaosRegion[] = [];
  let admin: Admin | undefined;

  beforeAll(async () => {
    const config = stackConfig(findRepoRoot(), process.env);
    secure = await prepareSecureRegions({ prefix: "bl" });
    const materials = await secureBrokerMaterials(config);
    const k = await startKafkaCluster(config.kafka, config.stackDir, 3, materials);
    cluster = k;
    const endpoint = secureEndpointOf(materials, k.brokers, k.layout.dir);
    admin = adminKafka(endpoint, "broker-loss-test").admin();
    await admin.connect();
    regions = await placeSecureRegions(secure, {
      grant: async (input, passwordFile) => {
        await grantKafkaPrincipal(endpoint, input, passwordFile);
      },
      brokers: () => k.brokers,
      // Production's settings on a three-broker cluster (the shipper sends with acks=all).
      settings: { replicationFactor: 3, topic: { minInsyncReplicas: 2 } },
    });
    for (const r of regions) await r.proc.start();
  });

  // The cluster's JVMs are detached: stop them even when the test failed (a later run also stops
  // what its pid files name before starting).
  afterAll(async () => {
    try {
      await admin?.disconnect();
      for (const r of regions) await r.proc.stop();
      await secure?.close();
    } finally {
      await cluster?.stop();
    }
  });

  it(`a broker lost mid-stream loses nothing and replication resumes (seed ${seed})`, async () => {
    if (cluster === undefined || admin === undefined) throw new Error("setup failed");
    const k = cluster;
    const a = admin;
    const all = new GroundTruth();
    const writes = { operations: 300, cameras: 4, truth: all, seed };

    // Round 1 is written and still replicating when the broker dies; round 2 is written across the
    // kill and after it.
    const before = new RoundTruth(all);
    await writeRound(regions, { ...writes, round: 1, truth: before });
    const topics = regions.map((r) => `georep.${r.id}`);
    const leaders = await leadersByBroker(a, topics);
    const [victim] = [...leaders.entries()].sort((x, y) => y[1] - x[1])[0] ?? [1];
    const after = new RoundTruth(all);
    const writing = writeRound(regions, { ...writes, round: 2, truth: after });
    const killedAt = Date.now();
    await k.kill9(victim);
    expect(k.pid(victim)).toBeUndefined();

    await waitFor(() => roundHeld(regions, 1, before), {
      description: "every region to hold every write made up to the kill",
      timeoutMs: QUEUE_RTO_MS,
      intervalMs: 250,
    }).catch(async (error: unknown) => {
      await explain(regions, 1, before);
      throw error;
    });
    const beforeKillHeldMs = Date.now() - killedAt;
    await writing;
    const writtenMs = Date.now() - killedAt;
    await waitFor(() => roundHeld(regions, 2, after), {
      description: "every region to hold the writes made after the kill",
      timeoutMs: QUEUE_RTO_MS,
      intervalMs: 250,
    });
    const afterKillHeldMs = Date.now() - killedAt;
    process.stdout.write(
      `broker-loss: killed broker ${victim} (leader of ${leaders.get(victim) ?? 0} of ${[...leaders.values()].reduce((s, n) => s + n, 0)} region-topic partitions); ` +
        `writes up to the kill everywhere after ${(beforeKillHeldMs / 1000).toFixed(1)} s, ` +
        `writes after the kill (last written ${(writtenMs / 1000).toFixed(1)} s after it) everywhere after ${(afterKillHeldMs / 1000).toFixed(1)} s; ` +
        `queue RTO ${QUEUE_RTO_MS / 1000} s\n`,
    );
    expect(afterKillHeldMs).toBeLessThan(QUEUE_RTO_MS);

    // The broker comes back on its storage and catches up: in every partition's ISR again.
    k.restart(victim);
    await waitFor(
      async () => {
        const { brokers } = await a.describeCluster();
        if (brokers.length < 3) return false;
        const { topics: metadata } = await a.fetchTopicMetadata({ topics });
        return metadata.every((t) => t.partitions.every((p) => p.isr.includes(victim)));
      },
      { description: `broker ${victim} to rejoin every partition's ISR`, timeoutMs: 120_000 },
    );
    const third = new RoundTruth(all);
    await writeRound(regions, { ...writes, round: 3, truth: third });
    await waitFor(() => regionsExact(regions, all), {
      description: "regions identical with exact totals after the broker rejoined",
      timeoutMs: 120_000,
      intervalMs: 500,
    });
  });
});
