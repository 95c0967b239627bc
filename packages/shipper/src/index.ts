export { createCapture } from "./capture.ts";
export type { Capture, CaptureDeps, CaptureStatus } from "./capture.ts";
export {
  parseCaptureConfig,
  captureConfigSchema,
  captureTuningSchema,
  CaptureConfigError,
} from "./capture-options.ts";
export type { CaptureConfig, CaptureConfigInput } from "./capture-options.ts";
export { createShipper } from "./shipper.ts";
export type { Shipper, ShipperOptions, ShipperStatus } from "./shipper.ts";
export { routeBatch } from "./route.ts";
export type { RouteOptions } from "./route.ts";
export { createInflightWindow } from "./inflight.ts";
export type { InflightWindow } from "./inflight.ts";
