export { writeReport } from "./camera-writer.ts";
export type { CountReport } from "./camera-writer.ts";
export { GroundTruth } from "./ground-truth.ts";
export type { Totals } from "./ground-truth.ts";
export { runFleet, seededRandom } from "./fleet.ts";
export type { FleetOptions } from "./fleet.ts";
export { METRICS, UploadError, applyUpload, counterName, ensureUploadMarks } from "./uploads.ts";
export type { Metric, UploadContext, UploadResult } from "./uploads.ts";
