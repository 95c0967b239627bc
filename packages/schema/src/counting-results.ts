import type { TableSpecInput } from "./table-spec.ts";

/**
 * The camera counting table: one row per camera and time bucket, counted by cameras in whatever
 * region they report to. Counts are grow-only; model version and status are last-writer-wins;
 * the home region is a column the camera service sets.
 */
export const countingResultsSpec = {
  schema: "public",
  name: "counting_results",
  key: [
    { name: "camera_id", type: "text" },
    { name: "bucket", type: "timestamptz" },
  ],
  columns: [
    { name: "people_in", type: "bigint", crdt: "gcounter" },
    { name: "people_out", type: "bigint", crdt: "gcounter" },
    { name: "vehicle_in", type: "bigint", crdt: "gcounter" },
    { name: "vehicle_out", type: "bigint", crdt: "gcounter" },
    { name: "model_version", type: "text", crdt: "lww" },
    { name: "status", type: "text", crdt: "lww" },
    { name: "home_region", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home_region" },
  policy: "lww",
} as const satisfies TableSpecInput;
