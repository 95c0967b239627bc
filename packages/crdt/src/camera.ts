import { z } from "zod";
import { countsSchema } from "./codec-schemas.ts";
import { encodeCounts } from "./codec-encode.ts";
import { findProtoKey } from "./codec-guard.ts";
import type { EncodedCounts } from "./codec-encode.ts";
import { CodecError, InvalidIdError } from "./errors.ts";
import { emptyGCounter, incrementGCounter, mergeGCounter, valueOfGCounter } from "./gcounter.ts";
import type { GCounter } from "./gcounter.ts";
import { assertRegionId } from "./ids.ts";
import type { RegionId } from "./ids.ts";

// A camera counts into a cumulative G-counter per time bucket and uploads the whole state, not
// "+3": an upload that is retried, duplicated or delivered late merges by max and counts once.
// When the camera is re-routed to another region its new counts go to that region's component;
// the old component stays in the state, so nothing is counted twice or lost.
//
//   camera ──upload(state)──▶ any region ──applyCameraUpload──▶ merged (idempotent)

export type CameraUpload = {
  readonly v: 1;
  readonly type: "camera-upload";
  readonly cameraId: string;
  readonly buckets: Readonly<Record<string, EncodedCounts>>;
};

export type CameraCounter = {
  readonly cameraId: string;
  /** Region the camera currently reports to (its counts go into that component). */
  region(): RegionId;
  /** Counts `n` (default 1) in `bucket`. @throws NegativeIncrementError, NonIntegerIncrementError, InvalidIdError */
  record(bucket: string, n?: bigint | number): void;
  /** Re-route to another region. @throws InvalidIdError */
  moveTo(region: RegionId): void;
  value(bucket: string): bigint;
  /** The full cumulative state: safe to send any number of times. */
  uploadPayload(): CameraUpload;
};

const BUCKET = /^[A-Za-z0-9:_.+-]{1,64}$/;
const BUCKET_EXPECTED = "1-64 characters of [A-Za-z0-9:_.+-]";

/** @throws InvalidIdError for a bad region or camera id. */
export function createCameraCounter(cameraId: string, region: RegionId): CameraCounter {
  assertRegionId(region);
  if (!BUCKET.test(cameraId)) throw new InvalidIdError("camera", cameraId, BUCKET_EXPECTED);
  let current = region;
  const buckets = new Map<string, GCounter>();
  return {
    cameraId,
    region: () => current,
    record(bucket, n = 1n) {
      if (!BUCKET.test(bucket)) throw new InvalidIdError("bucket", bucket, BUCKET_EXPECTED);
      buckets.set(bucket, incrementGCounter(buckets.get(bucket) ?? emptyGCounter(), current, n));
    },
    moveTo(next) {
      assertRegionId(next);
      current = next;
    },
    value: (bucket) => valueOfGCounter(buckets.get(bucket) ?? emptyGCounter()),
    uploadPayload() {
      const out: Record<string, EncodedCounts> = {};
      for (const [bucket, counter] of buckets) out[bucket] = encodeCounts(counter);
      return { v: 1, type: "camera-upload", cameraId, buckets: out };
    },
  };
}

const uploadSchema = z.strictObject({
  v: z.literal(1, { error: "unsupported version, expected 1" }),
  type: z.literal("camera-upload"),
  cameraId: z.string().regex(BUCKET),
  buckets: z.record(z.string().regex(BUCKET), countsSchema),
});

function pick(
  counts: Readonly<Record<RegionId, bigint>>,
  region: RegionId,
): Record<RegionId, bigint> {
  const n = counts[region];
  return n === undefined ? {} : { [region]: n };
}

/** Server side: per (camera, bucket) counters. Keys are `${cameraId}/${bucket}`. */
export type CameraStore = ReadonlyMap<string, GCounter>;

export type CameraChange = {
  readonly cameraId: string;
  readonly bucket: string;
  readonly before: bigint;
  readonly after: bigint;
};

/**
 * Merges an upload into the store. `changes` lists buckets whose value grew, with the amount a
 * service may add to an ordinary SQL counter (`after - before`): zero for a duplicate upload.
 * With `only`, just that region's component is merged: a region's service applies what the
 * camera counted while reporting to it, and leaves the other components to their own regions
 * (which added them when they received them), so a camera that moved is not counted twice.
 * @throws CodecError for a malformed payload (path of the bad field), InvalidIdError for `only`.
 */
export function applyCameraUpload(
  store: CameraStore,
  payload: unknown,
  only?: RegionId,
): { store: CameraStore; changes: CameraChange[] } {
  if (only !== undefined) assertRegionId(only);
  const protoPath = findProtoKey(payload);
  if (protoPath) throw new CodecError("camera upload", protoPath, "bad key: `__proto__`");
  const parsed = uploadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CodecError(
      "camera upload",
      (issue?.path ?? []).map(String),
      issue?.message ?? "invalid input",
    );
  }
  const { cameraId, buckets } = parsed.data;
  const next = new Map(store);
  const changes: CameraChange[] = [];
  for (const bucket in buckets) {
    const key = `${cameraId}/${bucket}`;
    const known = next.get(key) ?? emptyGCounter();
    const counts = buckets[bucket] ?? {};
    const own = only === undefined ? counts : pick(counts, only);
    const merged = mergeGCounter(known, { type: "gcounter", counts: own });
    if (merged === known) continue;
    next.set(key, merged);
    changes.push({
      cameraId,
      bucket,
      before: valueOfGCounter(known),
      after: valueOfGCounter(merged),
    });
  }
  return { store: next, changes };
}
