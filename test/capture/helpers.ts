import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import type { Consumer } from "kafkajs";
import { decodeEnvelope, originTopic, rowKey } from "@georep/contract";
import type { RowSlice } from "@georep/contract";
import {
  countingResultsSpec,
  installSchema,
  parseInstallConfig,
  parseTableSpec,
} from "@georep/schema";
import {
  createTestDatabase,
  findRepoRoot,
  readEndpoints,
  testKafka,
  uniqueName,
} from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { createKafka } from "@georep/kafka";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import type { Logger } from "@georep/observability";
import { createCapture } from "@georep/capture";
import type { Capture } from "@georep/capture";

export interface RegionDb {
  readonly db: TestDatabase;
  readonly region: string;
  readonly other: string;
  readonly slot: string;
  readonly client: pg.Client;
  close(): Promise<void>;
}

/** A fresh database with georep installed for a region id of its own (so its topics are its own). */
export async function setupRegionDb(prefix: string, cluster = "us-east"): Promise<RegionDb> {
  const id = uniqueName("c").replace(/_/g, "-").slice(0, 28);
  const region = id.replace(/-+$/, "");
  const other = `o${region.slice(1)}`;
  const db = await createTestDatabase(cluster, prefix);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await installSchema(
    client,
    parseInstallConfig({
      region,
      regions: [{ id: region }, { id: other }],
      tables: [countingResultsSpec],
    }),
  );
  return {
    db,
    region,
    other,
    slot: uniqueName(`${prefix}_slot`),
    client,
    async close() {
      await client.end().catch(() => undefined);
      await db.drop();
    },
  };
}

/** `n` increments over `keys` cameras as plain SQL upserts, `perTx` per transaction. */
export async function writeCounts(
  client: pg.Client,
  n: number,
  keys: number,
  perTx = 50,
  seed = 0,
): Promise<void> {
  for (let done = 0; done < n; done += perTx) {
    const rows: string[] = [];
    for (let i = done; i < Math.min(n, done + perTx); i++) {
      rows.push(`('cam-${(i * 7919 + seed) % keys}', '2026-01-01T00:00:00Z', 1, 'm${i % 3}')`);
    }
    await client.query(
      `BEGIN; ${rows
        .map(
          (r) =>
            `INSERT INTO public.counting_results (camera_id, bucket, people_in, model_version) VALUES ${r} ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + 1, model_version = excluded.model_version;`,
        )
        .join(" ")} COMMIT;`,
    );
  }
}

const STATE = `georep."state__public__counting_results"`;

/** Ground truth: the region's own state rows, keyed like the consumed slices. */
export async function ownState(
  client: pg.Client,
  region: string,
): Promise<Map<string, Record<string, string | null>>> {
  const { rows } = await client.query<Record<string, string | null>>(
    `SELECT camera_id, bucket::text AS bucket, people_in__p::text, people_out__p::text, vehicle_in__p::text, vehicle_out__p::text,
            model_version__v, model_version__t::text, status__t::text, ins__t::text, del__t::text FROM ${STATE} WHERE origin = $1`,
    [region],
  );
  return new Map(
    rows.map((r) => [
      rowKey(
        "public.counting_results",
        { camera_id: r["camera_id"] ?? "", bucket: r["bucket"] ?? "" },
        ["camera_id", "bucket"],
      ),
      r,
    ]),
  );
}

/** Per row, what a merger would hold after merging every consumed slice (max per component). */
export interface Folded {
  counters: Map<string, bigint>;
  registers: Map<string, { v: string | null; t: bigint }>;
  ins: bigint | null;
}

export function fold(into: Map<string, Folded>, slice: RowSlice): void {
  const key = rowKey(slice.table, slice.key, ["camera_id", "bucket"]);
  const f: Folded = into.get(key) ?? {
    counters: new Map<string, bigint>(),
    registers: new Map<string, { v: string | null; t: bigint }>(),
    ins: null,
  };
  for (const [c, v] of Object.entries(slice.counters)) {
    const cur = f.counters.get(c);
    if (cur === undefined || BigInt(v) > cur) f.counters.set(c, BigInt(v));
  }
  for (const [c, r] of Object.entries(slice.registers)) {
    const cur = f.registers.get(c);
    if (cur === undefined || BigInt(r.t) > cur.t) f.registers.set(c, { v: r.v, t: BigInt(r.t) });
  }
  if (slice.ins !== null && (f.ins === null || BigInt(slice.ins) > f.ins))
    f.ins = BigInt(slice.ins);
  into.set(key, f);
}

/** Differences between folded messages and ground truth (empty = every committed write arrived). */
export function mismatches(
  folded: Map<string, Folded>,
  truth: Map<string, Record<string, string | null>>,
): string[] {
  const out: string[] = [];
  for (const [key, row] of truth) {
    const f = folded.get(key);
    if (f === undefined) {
      out.push(`${key}: never shipped`);
      continue;
    }
    for (const c of ["people_in__p", "people_out__p", "vehicle_in__p", "vehicle_out__p"]) {
      if (String(f.counters.get(c)) !== row[c])
        out.push(`${key}.${c}: shipped ${f.counters.get(c)} != state ${row[c]}`);
    }
    const mv = f.registers.get("model_version");
    if (
      (mv === undefined ? null : String(mv.t)) !== row["model_version__t"] ||
      (mv?.v ?? null) !== (row["model_version__t"] === null ? null : row["model_version__v"])
    ) {
      out.push(
        `${key}.model_version: shipped ${JSON.stringify(mv, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))} != state ${row["model_version__v"]}@${row["model_version__t"]}`,
      );
    }
    if ((f.ins === null ? null : String(f.ins)) !== row["ins__t"])
      out.push(`${key}.ins: shipped ${f.ins} != state ${row["ins__t"]}`);
  }
  return out;
}

export interface TopicReader {
  /** Rows of the region's first incarnation (replica = the bare region id). */
  readonly rows: Map<string, Folded>;
  /** Rows per replica (incarnation), every one of them. */
  readonly replicas: Map<string, Map<string, Folded>>;
  readonly slices: { count: number; heartbeats: number; origins: Set<string> };
  stop(): Promise<void>;
}

/** Consumes a region's origin topic from the beginning and folds every slice. */
export async function readTopic(region: string, topic = originTopic(region)): Promise<TopicReader> {
  const kafka = testKafka(uniqueName("capreader"));
  const consumer: Consumer = kafka.consumer({
    groupId: uniqueName("capgroup"),
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const admin = createKafka({
    brokers: readEndpoints().kafka.brokers,
    clientId: "capture-test-admin",
    logger: silentLogger(),
  });
  await admin.admin.ensureTopics([{ topic, partitions: 6, replicationFactor: 1 }]);
  const rows = new Map<string, Folded>();
  const replicas = new Map<string, Map<string, Folded>>();
  const slices = { count: 0, heartbeats: 0, origins: new Set<string>() };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const decoded = decodeEnvelope(message.value, {
        knownOrigins: new Set([region, `o${region.slice(1)}`]),
      });
      if (!decoded.ok) throw new Error(`bad message: ${decoded.detail}`);
      slices.origins.add(decoded.envelope.origin);
      if (decoded.envelope.kind === "heartbeat") slices.heartbeats += 1;
      else {
        const replica = decoded.envelope.replica ?? decoded.envelope.origin;
        let folded = replicas.get(replica);
        if (folded === undefined) replicas.set(replica, (folded = new Map<string, Folded>()));
        for (const s of decoded.envelope.rows) {
          slices.count += 1;
          fold(folded, s);
          if (replica === region) fold(rows, s);
        }
      }
      return Promise.resolve();
    },
  });
  return { rows, replicas, slices, stop: () => consumer.disconnect() };
}

export interface CaptureChild {
  readonly child: ChildProcess;
  /** Latest status line. */
  status(): Record<string, unknown> | undefined;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Runs test/capture/fixtures/capture-process.ts in a child node process with the tsx loader. */
export function spawnCapture(config: Record<string, unknown>): CaptureChild {
  const root = findRepoRoot();
  // node itself (not the tsx wrapper, which forks): SIGKILL must hit the process that streams.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "test", "capture", "fixtures", "capture-process.ts")],
    {
      cwd: root,
      env: {
        ...process.env,
        GEOREP_CAPTURE_CONFIG: JSON.stringify({
          kafka: { brokers: readEndpoints().kafka.brokers },
          ...config,
        }),
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let last: Record<string, unknown> | undefined;
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    const line = lines.at(-1);
    if (line !== undefined && line.length > 0) last = JSON.parse(line) as Record<string, unknown>;
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  return {
    child,
    status: () => last,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function slotPosition(client: pg.Client, slot: string): Promise<string | undefined> {
  const { rows } = await client.query<{ lsn: string | null }>(
    "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
  return rows[0]?.lsn ?? undefined;
}

/**
 * A capture of `r` in this process, with short intervals so tests see progress fast (`options`
 * overrides them); the caller stops it.
 */
export function testCapture(
  r: RegionDb,
  options: {
    heartbeatIntervalMs?: number;
    statusIntervalMs?: number;
    reportedWaitMs?: number;
  } = {},
  deps: { logger?: Logger; awaitReportedProgress?: boolean } = {},
): Capture {
  return createCapture({
    ...deps,
    region: r.region,
    pgUrl: r.db.url,
    slotName: r.slot,
    kafka: { brokers: readEndpoints().kafka.brokers },
    options: {
      heartbeatIntervalMs: 300,
      statusIntervalMs: 200,
      backoffInitialMs: 50,
      backoffMaxMs: 500,
      ...options,
    },
    tables: [parseTableSpec(countingResultsSpec)],
    logger: deps.logger ?? silentLogger(),
    metrics: createMetrics(),
    clock: systemClock,
  });
}
