export { schemaApply } from "./commands/schema-apply.ts";
export { status } from "./commands/status.ts";
export type { RegionStatus } from "./commands/status.ts";
export { verify } from "./commands/verify.ts";
export { rehome } from "./commands/rehome.ts";
export type { RehomeReport } from "./commands/rehome.ts";
