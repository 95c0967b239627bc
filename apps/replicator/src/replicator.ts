// One region's replicator process: schema, leadership, capture (reader + shipper), merger,
// and the Redis read cache.
//
//   created ──start()──▶ installing ──▶ standby ──lease──▶ active ──stop()──▶ stopped
//                                         ▲                   │ lease lost, or a role failed
//                                         │                   ▼
//                                         └── failed (the process hands over, exits 1; the
//                                             orchestrator restarts it as a standby)
import type { Redis } from "ioredis";
import pg from "pg";
import type { RowsEnvelope } from "@georep/contract";
import type { Logger, Metrics, WallClock } from "@georep/observability";
import { createKafka } from "@georep/kafka";
import { createMerger } from "@georep/merger";
import { settlesWithin } from "@georep/retry";
import type { Merger, MergerStatus } from "@georep/merger";
import { createCapture } from "@georep/capture";
import type { Capture, CaptureStatus } from "@georep/capture";
import { installSchema, stateLayout } from "@georep/schema";
import type { Member, TableSpec } from "@georep/schema";
import { checkDatabases, checkPeer } from "./database-check.ts";
import { shippedTopicEnds } from "./peer-progress.ts";
import { startMembershipWatch, startingMembers } from "./membership-watch.ts";
import type { MembershipWatch } from "./membership-watch.ts";
import { startRepairWatcher } from "./repair-watcher.ts";
import type { RepairWatcher, RepairWatcherStatus } from "./repair-watcher.ts";
import { clusterBrokers, regionClusters } from "./config.ts";
import { kafkaSecurityOption } from "./kafka-security.ts";
import { pgClientConfig, pgLogin } from "./postgres-config.ts";
import type { ReplicatorConfig } from "./config.ts";
import { reportEnvelopeSigning } from "./signing-config.ts";
import { reportPlaintextLinks } from "./plaintext-links.ts";
import { createCacheRedis } from "./cache-redis.ts";
import { createCachePool, startCacheService } from "./cache-service.ts";
import type { Probes } from "./http.ts";
import { createLeadership } from "./leadership.ts";
import { createRoleMetrics } from "./role-metrics.ts";
import type { Role } from "./role-metrics.ts";
import { replicatorProbes, startRoleWatch } from "./role-watch.ts";
import type { RoleWatch } from "./role-watch.ts";

export type ReplicatorState =
  "created" | "installing" | "standby" | "active" | "stopping" | "stopped" | "failed";

export interface ReplicatorStatus {
  readonly region: string;
  readonly state: ReplicatorState;
  readonly epoch: string | undefined;
  readonly capture: CaptureStatus | undefined;
  readonly merger: MergerStatus | undefined;
  readonly repair: RepairWatcherStatus | undefined;
}

export interface Replicator {
  /** Resolves once active (or throws); a standby waits here until it takes over. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ReplicatorStatus;
  readonly probes: Probes;
  /** Fires when this instance stops being able to work (leadership lost, role failed). */
  onFatal(listener: (error: Error) => void): void;
}

export interface ReplicatorDeps {
  readonly config: ReplicatorConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: WallClock;
  /** Observes every committed merge batch (benchmarks measure end-to-end lag with it). */
  readonly onApplied?: (envelopes: readonly RowsEnvelope[]) => void;
}

/** How long stop() waits for each of its steps (capture's own stop drains Kafka for up to 2 × 15 s). */
const STOP_STEP_MS = 45_000;

export function createReplicator(deps: ReplicatorDeps): Replicator {
  const { config, logger, metrics, clock } = deps;
  const log = logger.child({ region: config.region });
  const roleMetrics = createRoleMetrics(metrics);
  const capturing = pgLogin(config.postgres, "capture");
  const merging = pgLogin(config.postgres, "merge");
  const kafkaSecurity = kafkaSecurityOption(config);
  const leadership = createLeadership({
    // The lease goes with the slot: its holder is the one that reads it (docs/security.md).
    pgUrl: capturing.url,
    pgPassword: capturing.password,
    logger: log,
    slot: config.slot,
    leaseMs: config.leadership.leaseMs,
    pollMs: config.leadership.pollMs,
    onChange: (s) => {
      roleMetrics.leader(s);
    },
  });
  const abort = new AbortController();
  const fatal: Array<(error: Error) => void> = [];
  let watch: RoleWatch | undefined;
  let state: ReplicatorState = "created";
  let epoch: bigint | undefined;
  let capture: Capture | undefined;
  let merger: Merger | undefined;
  let redis: Redis | undefined;
  let pool: pg.Pool | undefined;
  let repair: RepairWatcher | undefined;
  let membership: MembershipWatch | undefined;
  // The live regions (georep.regions), which `georep region add|remove` change while this runs.
  let members: readonly Member[] = config.regions;
  const peerPools: pg.Pool[] = [];
  let stopKafka = (): Promise<void> => Promise.resolve();
  // This region's own cluster: its shipper writes there, its dead letters and heartbeats stay
  // there (the shared kafka.brokers unless regions[] names one; docs/operate.md, "Topology").
  const ownBrokers = clusterBrokers(config, config.region);
  // Resolved when the capture first finds that cluster down at start (it then waits for it).
  let captureWaits = (): void => undefined;
  const captureWaiting = new Promise<void>((resolve) => (captureWaits = resolve));

  const fail = (error: Error): void => {
    if (state === "stopping" || state === "stopped" || state === "failed") return;
    state = "failed";
    for (const l of fatal) l(error);
  };
  const roleFailed = (role: Role) => (error: Error) => {
    roleMetrics.failed(role);
    log.error({ err: error, role }, "a role failed; the replicator stops and hands over");
    fail(error);
  };
  leadership.onLost(roleFailed("leadership"));

  async function install(): Promise<void> {
    const client = new pg.Client(pgClientConfig(config.postgres, "admin"));
    await client.connect();
    try {
      await installSchema(client, config.schema, log);
    } finally {
      await client.end();
    }
  }

  const zonesOf = (regions: readonly Member[]): string[] => [
    ...new Set(regions.flatMap((r) => (r.zone === undefined ? [] : [r.zone]))),
  ];

  /** Repair of this region's earlier incarnations from its peers (the full replicator only). */
  function startRepair(startedCapture: Capture, tables: readonly TableSpec[], own: pg.Pool): void {
    const peers = config.peers.map((p) => {
      // A peer that stops answering must fail a repair page, not hang it (or the shutdown).
      const peerPool = new pg.Pool({
        ...pgClientConfig(p.postgres, "admin"),
        max: 2,
        connectionTimeoutMillis: 10_000,
        statement_timeout: 120_000,
        keepAlive: true,
      });
      peerPools.push(peerPool);
      return {
        region: p.region,
        zone: members.find((r) => r.id === p.region)?.zone,
        pool: peerPool,
      };
    });
    for (const p of peerPools)
      p.on("error", (error) => {
        log.warn({ err: error }, "idle repair connection failed");
      });
    const repairKafka = createKafka({
      brokers: ownBrokers,
      clientId: `georep-repair-${config.region}`,
      logger: log,
      ...kafkaSecurity,
    });
    stopKafka = () => repairKafka.disconnect();
    repair = startRepairWatcher({
      region: config.region,
      zone: members.find((r) => r.id === config.region)?.zone,
      pool: own,
      peers,
      layouts: tables.map(stateLayout),
      streamingReplica: () => {
        const c = startedCapture.status();
        return c.state === "streaming" ? c.replica : undefined;
      },
      logger: log,
      metrics,
      clock,
      intervalMs: config.repairCheckIntervalMs,
      topicEnds: () => shippedTopicEnds(repairKafka, config.region, zonesOf(members)),
      checkPeers: async () => {
        for (const [i, p] of config.peers.entries()) await checkPeer(p, `peers.${i}.postgres.url`);
      },
    });
  }

  return {
    async start() {
      state = "installing";
      reportEnvelopeSigning(config.envelopeSigning, log);
      reportPlaintextLinks(config, log);
      await checkDatabases(config, log);
      if (config.installSchema) await install();
      // This region's own database, for the membership watch and repair (both small and rare).
      const own = new pg.Pool({
        ...pgClientConfig(config.postgres, "merge"),
        max: 2,
      });
      peerPools.push(own);
      members = await startingMembers(own, config.regions, log);
      const tables = config.schema.tables;
      // A merge worker holds no leadership: its partitions are fenced by their progress rows.
      const everything = config.role === "all";
      if (everything) {
        state = "standby";
        epoch = await leadership.acquire(abort.signal);
        capture = createCapture({
          beforeConfirm: () => leadership.confirm(),
          region: config.region,
          pgUrl: capturing.url,
          pgPassword: capturing.password,
          slotName: config.slot,
          kafka: { brokers: [...ownBrokers], clientId: `georep-capture-${config.region}` },
          kafkaSecurity: kafkaSecurity.security,
          partitions: config.kafka.partitions,
          replicationFactor: config.kafka.replicationFactor,
          topic: config.kafka.topic,
          zones: zonesOf(members),
          tables,
          logger: log,
          metrics,
          clock,
          signer: config.envelopeSigning?.signer,
          awaitReportedProgress: config.merge.collectTombstones,
          onKafkaWait: (error) => {
            log.warn(
              { err: error, brokers: ownBrokers },
              "this region's Kafka cluster is unreachable: capture waits for it (the slot keeps the WAL), merging goes on",
            );
            captureWaits();
          },
        });
      }
      let onApplied: ((envelopes: readonly RowsEnvelope[]) => void) | undefined = deps.onApplied;
      if (config.redis !== undefined) {
        redis = createCacheRedis(config.redis, config.redisSecurity, log, abort.signal);
        pool = createCachePool(merging);
        const cache = startCacheService({
          region: config.region,
          redis,
          pool,
          layouts: tables.map(stateLayout),
          ttlSeconds: config.redis.cacheTtlSeconds,
          rebuilds: capture !== undefined,
          signal: abort.signal,
          logger: log,
          metrics,
        });
        capture?.onShipped(cache.shipped);
        const observe = deps.onApplied;
        onApplied = (envelopes) => {
          observe?.(envelopes);
          cache.applied(envelopes);
        };
      }
      const newMerger = (): Merger =>
        createMerger({
          region: config.region,
          pgUrl: merging.url,
          pgPassword: merging.password,
          kafka: {
            brokers: ownBrokers,
            clientId: `georep-merger-${config.region}`,
            clusters: regionClusters(config, members),
            ...kafkaSecurity,
          },
          tables,
          regions: members,
          logger: log,
          metrics,
          clock,
          ...(epoch === undefined ? {} : { epoch }),
          onFailure: roleFailed("merge"),
          verifier: config.envelopeSigning?.verifier,
          options: {
            topicPartitions: config.kafka.partitions,
            replicationFactor: config.kafka.replicationFactor,
            topic: config.kafka.topic,
            ...config.merge,
          },
          ...(onApplied === undefined ? {} : { onApplied }),
        });
      merger = newMerger();
      // Side by side: a restart after an outage is back to work ~1 s sooner. Both settle before
      // a failure is thrown, so stop() never meets a role still starting.
      const captureRun = capture?.start().then(() => "running" as const);
      const captureFirst =
        captureRun && Promise.race([captureRun, captureWaiting.then(() => "waiting" as const)]);
      const started = await Promise.allSettled([captureFirst, merger.start()]);
      // Waiting for this region's cluster: it streams once the cluster answers; a later failure
      // is a failed role like any other.
      if (started[0].status === "fulfilled" && started[0].value === "waiting")
        captureRun?.then(
          () => {
            // start() also resolves when a stop ends the wait.
            if (state !== "stopping" && state !== "stopped")
              log.info("this region's Kafka cluster answers: capture running");
          },
          (error: unknown) => {
            if (state !== "stopping" && state !== "stopped") roleFailed("capture")(error as Error);
          },
        );
      for (const [i, s] of started.entries())
        if (s.status === "rejected") {
          roleMetrics.failed(i === 0 ? "capture" : "merge");
          throw s.reason;
        }
      const watchRoles = (m: Merger): RoleWatch =>
        startRoleWatch({
          config: { ...config, regions: [...members] },
          clusters: regionClusters(config, members),
          capture,
          merger: m,
          metrics,
          logger: log,
          clock,
        });
      watch = watchRoles(merger);
      membership = startMembershipWatch({
        pool: own,
        initial: members,
        intervalMs: config.membershipCheckIntervalMs,
        logger: log,
        // The merger's topics and consumer group follow the members: it is replaced by one for
        // the new list. Its progress rows make the hand-over exact, as after any restart.
        // A swap that fails leaves no merger running: the process fails like any failed role.
        onChange: async (now) => {
          try {
            await watch?.stop();
            await merger?.stop();
            members = now;
            merger = newMerger();
            await merger.start();
            watch = watchRoles(merger);
          } catch (error) {
            roleFailed("merge")(error as Error);
          }
        },
      });
      if (capture !== undefined) startRepair(capture, tables, own);
      state = "active";
      log.info({ epoch: epoch?.toString(), role: config.role }, "replicator active");
    },
    async stop() {
      if (state === "stopped") return;
      // A failed instance hands the lease over first: the standby need not wait for the slow
      // steps below, and what this one still does is fenced by the epoch it gives up.
      const handOverFirst = state === "failed";
      state = "stopping";
      abort.abort();
      // Each step is bounded: a step that hangs (a client library waiting on a peer that never
      // answers) must not keep the process, and its leadership, from stopping. It is logged by
      // name, and the next step runs.
      const step = async (name: string, run: () => Promise<unknown> | undefined): Promise<void> => {
        const done = run();
        if (done === undefined) return;
        if (!(await settlesWithin(done, STOP_STEP_MS)))
          log.error(
            { step: name, waitedMs: STOP_STEP_MS },
            "a stop step did not finish in time; going on",
          );
      };
      if (handOverFirst) await step("leadership", () => leadership.release());
      await step("membership", () => membership?.stop());
      await step("monitoring", () => watch?.stop());
      await step("repair", () => repair?.stop());
      await step("repair kafka", () => stopKafka());
      await step("merger", () => merger?.stop());
      await step("capture", () => capture?.stop());
      await step("pool", () => pool?.end());
      for (const p of peerPools) await step("peer pool", () => p.end().catch(() => undefined));
      redis?.disconnect();
      await step("leadership", () => leadership.release());
      state = "stopped";
      log.info("replicator stopped");
    },
    status: () => ({
      region: config.region,
      state,
      epoch: epoch?.toString(),
      capture: capture?.status(),
      merger: merger?.status(),
      repair: repair?.status(),
    }),
    probes: replicatorProbes({
      role: config.role,
      state: () => state,
      capture: () => capture,
      merger: () => merger,
      watch: () => watch,
    }),
    onFatal(listener) {
      fatal.push(listener);
    },
  };
}
