export { createLogger, silentLogger } from "./logger.ts";
export type { Logger, LoggerOptions } from "./logger.ts";
export { createMetrics } from "./metrics.ts";
export type { Metrics } from "./metrics.ts";
export { systemClock } from "./clock.ts";
export type { WallClock } from "./clock.ts";
