export { backoffDelay } from "./backoff.ts";
export type { Backoff } from "./backoff.ts";
export { settlesWithin } from "./settles-within.ts";
