export { backoffDelay } from "./backoff.ts";
export type { Backoff } from "./backoff.ts";
export { settlesWithin } from "./settles-within.ts";
export { startPeriodic } from "./periodic.ts";
export type { Periodic } from "./periodic.ts";
