import { describe, expect, it } from "vitest";
import {
  CodecError,
  InvalidIdError,
  NegativeIncrementError,
  applyCameraUpload,
  createCameraCounter,
} from "../src/index.ts";
import type { CameraStore } from "../src/index.ts";

const BUCKET = "2026-11-22T10:15Z";
const wire = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

describe("camera counter", () => {
  it("uploading the same state twice counts once", () => {
    const cam = createCameraCounter("cam-17", "eu-west");
    cam.record(BUCKET, 3);
    cam.record(BUCKET);
    const payload = wire(cam.uploadPayload());
    const first = applyCameraUpload(new Map(), payload);
    const again = applyCameraUpload(first.store, payload);
    expect(first.changes).toEqual([{ cameraId: "cam-17", bucket: BUCKET, before: 0n, after: 4n }]);
    expect(again.changes).toEqual([]);
    expect(again.store.get(`cam-17/${BUCKET}`)?.counts).toEqual({ "eu-west": 4n });
  });

  it("a late, stale upload after a newer one changes nothing", () => {
    const cam = createCameraCounter("cam-17", "eu-west");
    cam.record(BUCKET, 2);
    const old = wire(cam.uploadPayload());
    cam.record(BUCKET, 5);
    const store: CameraStore = applyCameraUpload(new Map(), wire(cam.uploadPayload())).store;
    const late = applyCameraUpload(store, old);
    expect(late.changes).toEqual([]);
    expect(late.store.get(`cam-17/${BUCKET}`)?.counts).toEqual({ "eu-west": 7n });
    expect(cam.value(BUCKET)).toBe(7n);
  });

  it("re-routing to another region neither loses nor double-counts", () => {
    const cam = createCameraCounter("cam-17", "eu-west");
    cam.record(BUCKET, 10);
    const before = applyCameraUpload(new Map(), wire(cam.uploadPayload()));
    cam.moveTo("us-east"); // eu-west fails
    cam.record(BUCKET, 5);
    const after = applyCameraUpload(before.store, wire(cam.uploadPayload()));
    expect(after.changes).toEqual([
      { cameraId: "cam-17", bucket: BUCKET, before: 10n, after: 15n },
    ]);
    expect(cam.region()).toBe("us-east");
  });

  it("with `only`, a region applies its own component and leaves the others to their regions", () => {
    const cam = createCameraCounter("cam-17", "eu-west");
    cam.record(BUCKET, 10);
    const west = applyCameraUpload(new Map(), wire(cam.uploadPayload()), "eu-west");
    cam.moveTo("us-east");
    cam.record(BUCKET, 5);
    const payload = wire(cam.uploadPayload());
    const east = applyCameraUpload(new Map(), payload, "us-east");
    // us-east adds only the 5 counted while reporting to it; eu-west already added its 10.
    expect(east.changes).toEqual([{ cameraId: "cam-17", bucket: BUCKET, before: 0n, after: 5n }]);
    expect(applyCameraUpload(west.store, payload, "eu-west").changes).toEqual([]);
    expect(() => applyCameraUpload(new Map(), payload, "bad region!")).toThrow(InvalidIdError);
  });

  it("refuses negative counts and bad ids", () => {
    const cam = createCameraCounter("cam-17", "eu-west");
    expect(() => {
      cam.record(BUCKET, -1);
    }).toThrow(NegativeIncrementError);
    expect(() => {
      cam.record("bad bucket", 1);
    }).toThrow(InvalidIdError);
    expect(() => createCameraCounter("cam 17", "eu-west")).toThrow(InvalidIdError);
    expect(() => {
      cam.moveTo("__proto__");
    }).toThrow(InvalidIdError);
  });

  it("refuses a malformed upload, naming the field", () => {
    const bad = {
      v: 1,
      type: "camera-upload",
      cameraId: "cam-17",
      buckets: { [BUCKET]: { "eu-west": "1.5" } },
    };
    expect(() => applyCameraUpload(new Map(), bad)).toThrow(CodecError);
    expect(() => applyCameraUpload(new Map(), bad)).toThrow(`buckets.${BUCKET}.eu-west`);
    expect(() => applyCameraUpload(new Map(), { ...bad, v: 2 })).toThrow(/v/);
  });
});
