export { createCapture } from "./capture.ts";
export type { Capture, CaptureDeps, CaptureStatus } from "./capture.ts";
export { parseCaptureConfig, captureConfigSchema, captureTuningSchema } from "./options.ts";
export type { CaptureConfig, CaptureConfigInput } from "./options.ts";
export { CaptureConfigError } from "./errors.ts";
export { startSlotMetrics } from "./slot-metrics.ts";
export type { SlotMetrics, SlotMetricsConfig } from "./slot-metrics.ts";
