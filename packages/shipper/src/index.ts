export { createShipper } from "./shipper.ts";
export type { Shipper, ShipperOptions, ShipperStatus } from "./shipper.ts";
export { readShippedMark } from "./shipped-mark.ts";
export { REPORT_DEPTHS, readReportedProgress } from "./reported-progress.ts";
export { routeBatch } from "./route.ts";
export type { RouteOptions } from "./route.ts";
export { createInflightWindow } from "./inflight.ts";
export type { InflightWindow } from "./inflight.ts";
