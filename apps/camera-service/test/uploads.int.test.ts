import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCameraCounter } from "@georep/crdt";
import { countingResultsSpec, installSchema, parseInstallConfig } from "@georep/schema";
import { createTestDatabase } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import {
  UploadError,
  applyUpload,
  counterName,
  ensureUploadMarks,
  writeReport,
} from "../src/index.ts";

// A camera uploads its cumulative counts; a retried, duplicated or concurrent upload must count
// once, also after the service restarts. The plain increment a service would otherwise write is
// shown to count a retry twice.
const REGION = "eu-west";
const BUCKET = "2026-11-22T10:00:00.000Z";
let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase("eu-west", "camera_uploads");
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await installSchema(
    client,
    parseInstallConfig({
      region: REGION,
      regions: [{ id: REGION }],
      tables: [countingResultsSpec],
    }),
  );
  await client.end();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  await ensureUploadMarks(pool);
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

async function peopleIn(cameraId: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    "SELECT coalesce(sum(people_in), 0)::text AS n FROM counting_results WHERE camera_id = $1",
    [cameraId],
  );
  return Number(rows[0]?.n ?? "0");
}

const ctx = { region: REGION, homeRegion: REGION, modelVersion: "v1" };

describe("camera uploads through the core's camera API", () => {
  it("counts a retried upload once", async () => {
    const cam = createCameraCounter("cam-retry", REGION);
    cam.record(counterName("people_in", BUCKET), 5);
    const payload = JSON.parse(JSON.stringify(cam.uploadPayload())) as unknown;
    expect(await applyUpload(pool, payload, ctx)).toHaveLength(1);
    expect(await applyUpload(pool, payload, ctx)).toEqual([]);
    expect(await peopleIn("cam-retry")).toBe(5);
    cam.record(counterName("people_in", BUCKET), 2);
    await applyUpload(pool, cam.uploadPayload(), ctx);
    expect(await peopleIn("cam-retry")).toBe(7);
  });

  it("counts concurrent duplicates once, and a re-upload after a service restart not at all", async () => {
    const cam = createCameraCounter("cam-dup", REGION);
    cam.record(counterName("people_in", BUCKET), 4);
    cam.record(counterName("vehicle_in", BUCKET), 1);
    await Promise.all(Array.from({ length: 5 }, () => applyUpload(pool, cam.uploadPayload(), ctx)));
    const restarted = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      expect(await applyUpload(restarted, cam.uploadPayload(), ctx)).toEqual([]);
    } finally {
      await restarted.end();
    }
    expect(await peopleIn("cam-dup")).toBe(4);
    const { rows } = await pool.query<{ n: string }>(
      "SELECT vehicle_in::text AS n FROM counting_results WHERE camera_id = 'cam-dup'",
    );
    expect(rows).toEqual([{ n: "1" }]);
  });

  it("the old increment statement counts a retry twice", async () => {
    const report = {
      cameraId: "cam-old",
      bucket: BUCKET,
      peopleIn: 5,
      peopleOut: 0,
      vehicleIn: 0,
      vehicleOut: 0,
      homeRegion: REGION,
      modelVersion: "v1",
    };
    await writeReport(pool, report);
    await writeReport(pool, report); // the camera did not hear the answer and sent it again
    expect(await peopleIn("cam-old")).toBe(10);
  });

  it("refuses a malformed upload or an unknown counter naming the field, and writes nothing", async () => {
    const bad = {
      v: 1,
      type: "camera-upload",
      cameraId: "cam-x",
      buckets: { b: { [REGION]: "-1" } },
    };
    await expect(applyUpload(pool, bad, ctx)).rejects.toThrow(/buckets/);
    const cam = createCameraCounter("cam-x", REGION);
    cam.record(counterName("people_in", BUCKET), 3);
    cam.record(`people_inside+${BUCKET}`, 2);
    await expect(applyUpload(pool, cam.uploadPayload(), ctx)).rejects.toThrow(UploadError);
    await expect(applyUpload(pool, cam.uploadPayload(), ctx)).rejects.toThrow(
      /counter 'people_inside\+2026-11-22T10:00:00.000Z' is not <metric>\+<bucket>/,
    );
    expect(await peopleIn("cam-x")).toBe(0);
    const marks = await pool.query("SELECT 1 FROM camera_upload_marks WHERE camera_id = 'cam-x'");
    expect(marks.rowCount).toBe(0);
  });

  it("applies an upload again after an attempt that rolled back", async () => {
    const cam = createCameraCounter("cam-rollback", REGION);
    cam.record(counterName("people_in", BUCKET), 6);
    // The first attempt fails inside its transaction (a row the table refuses: bucket not a time).
    const failing = createCameraCounter("cam-rollback", REGION);
    failing.record(counterName("people_in", BUCKET), 6);
    failing.record(counterName("people_out", "not-a-time"), 1);
    await expect(applyUpload(pool, failing.uploadPayload(), ctx)).rejects.toThrow();
    await applyUpload(pool, cam.uploadPayload(), ctx);
    expect(await peopleIn("cam-rollback")).toBe(6);
  });
});
