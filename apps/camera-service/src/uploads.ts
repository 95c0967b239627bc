import type { Pool, PoolClient } from "pg";
import { applyCameraUpload, gcounterFrom } from "@georep/crdt";
import type { CameraStore, GCounter } from "@georep/crdt";
import { writeReport } from "./camera-writer.ts";
import type { CountReport } from "./camera-writer.ts";

// A camera uploads its whole cumulative state (the core's camera API); this region adds to
// counting_results only what it has not added before. What it has added lives in
// camera_upload_marks, written in the same transaction as the increment, so an upload that is
// retried, duplicated or delivered late counts once, across service restarts too.
//
// The marks are this region's own bookkeeping, not replicated: each region applies only the
// component the camera counted while reporting to it (applyCameraUpload's `only`), and the
// increments it adds replicate through georep like any other write.

/** The counters a camera keeps per time bucket, named as counting_results' columns. */
export const METRICS = ["people_in", "people_out", "vehicle_in", "vehicle_out"] as const;
export type Metric = (typeof METRICS)[number];

/** The camera counter's bucket name for a metric of a time bucket: `<metric>+<bucket>`. */
export const counterName = (metric: Metric, bucket: string): string => `${metric}+${bucket}`;

/** An upload this service cannot apply: a counter name it does not know, or a count too large. */
export class UploadError extends Error {
  override readonly name = "UploadError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** @throws UploadError naming the counter when it is not `<metric>+<bucket>`. */
function parseCounterName(name: string): { metric: Metric; bucket: string } {
  const at = name.indexOf("+");
  const metric = at < 0 ? undefined : METRICS.find((m) => m === name.slice(0, at));
  if (metric === undefined || at === name.length - 1)
    throw new UploadError(
      `camera upload: counter '${name}' is not <metric>+<bucket> with a metric of ${METRICS.join(", ")}; name it with counterName()`,
      `buckets.${name}`,
    );
  return { metric, bucket: name.slice(at + 1) };
}

export const CREATE_UPLOAD_MARKS_SQL = `CREATE TABLE IF NOT EXISTS camera_upload_marks (
  camera_id text NOT NULL,
  counter text NOT NULL,
  applied bigint NOT NULL,
  PRIMARY KEY (camera_id, counter)
)`;

/**
 * Creates the region-local marks table (idempotent). Serialized by an advisory lock: two
 * concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
 */
export async function ensureUploadMarks(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('camera_upload_marks', 0))");
    await client.query(CREATE_UPLOAD_MARKS_SQL);
  });
}

/** Runs `work` in one transaction on a pooled connection; any failure rolls it back and is rethrown. */
async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // The error that failed the work is the one to report; a failed ROLLBACK adds nothing.
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** What an upload added, per time bucket (empty for a duplicate). */
export type UploadResult = ReadonlyArray<Omit<CountReport, "homeRegion" | "modelVersion">>;

/** Row metadata written along with the counts when a (camera, bucket) row is new. */
export interface UploadContext {
  readonly region: string;
  readonly homeRegion: string;
  readonly modelVersion: string;
}

async function readMarks(
  client: PoolClient,
  cameraId: string,
  region: string,
): Promise<CameraStore> {
  const { rows } = await client.query<{ counter: string; applied: string }>(
    "SELECT counter, applied::text FROM camera_upload_marks WHERE camera_id = $1",
    [cameraId],
  );
  return new Map<string, GCounter>(
    rows.map((r) => [`${cameraId}/${r.counter}`, gcounterFrom([[region, BigInt(r.applied)]])]),
  );
}

/**
 * Applies a camera's upload (its `uploadPayload()`, as received) in one transaction.
 * @throws CodecError naming the bad field of a malformed payload; database errors as thrown by pg.
 */
export async function applyUpload(
  pool: Pool,
  payload: unknown,
  ctx: UploadContext,
): Promise<UploadResult> {
  // Validates before any database work; the store is read under the camera's lock below.
  const { cameraId, counters } = validated(payload);
  for (const name of counters) parseCounterName(name);
  return inTransaction(pool, async (client) => {
    // One upload of a camera at a time: marks that do not exist yet cannot be row-locked.
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [cameraId]);
    const store = await readMarks(client, cameraId, ctx.region);
    const { changes } = applyCameraUpload(store, payload, ctx.region);
    if (changes.length === 0) return [];
    const perBucket = new Map<string, Record<Metric, number>>();
    for (const c of changes) {
      const name = parseCounterName(c.bucket);
      const row = perBucket.get(name.bucket) ?? {
        people_in: 0,
        people_out: 0,
        vehicle_in: 0,
        vehicle_out: 0,
      };
      row[name.metric] += safeCount(c.after - c.before, c.bucket);
      perBucket.set(name.bucket, row);
    }
    // Every changed mark in one statement.
    await client.query(
      `INSERT INTO camera_upload_marks (camera_id, counter, applied)
       SELECT $1, c, a FROM unnest($2::text[], $3::bigint[]) AS m(c, a)
       ON CONFLICT (camera_id, counter) DO UPDATE SET applied = excluded.applied`,
      [cameraId, changes.map((c) => c.bucket), changes.map((c) => c.after.toString())],
    );
    // Rows written in key order (bucket, for one camera), the order merges lock them in: in any
    // other order an upload and a merge of the same buckets can deadlock.
    const ordered = [...perBucket].sort(([a], [b]) => Date.parse(a) - Date.parse(b));
    const added = ordered.map(([bucket, n]) => ({
      cameraId,
      bucket,
      peopleIn: n.people_in,
      peopleOut: n.people_out,
      vehicleIn: n.vehicle_in,
      vehicleOut: n.vehicle_out,
    }));
    for (const a of added)
      await writeReport(client, {
        ...a,
        homeRegion: ctx.homeRegion,
        modelVersion: ctx.modelVersion,
      });
    return added;
  });
}

/** The camera id and counter names of a payload, validated by the core (an empty store changes nothing). */
function validated(payload: unknown): { cameraId: string; counters: string[] } {
  applyCameraUpload(new Map(), payload);
  const p = payload as { cameraId: string; buckets: Record<string, unknown> };
  return { cameraId: p.cameraId, counters: Object.keys(p.buckets) };
}

/** @throws UploadError when an amount would not be exact as a JS number. */
function safeCount(n: bigint, counter: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new UploadError(
      `camera upload: counter '${counter}' grew by ${n}, more than one upload may add (2^53 - 1); upload more often`,
      `buckets.${counter}`,
    );
  return Number(n);
}
