export { verifyRegions } from "./verify.ts";
export type { RegionHandle, RowDifference, VerifyReport } from "./verify.ts";
export { tableDigest } from "./digest.ts";
export type { RangeDigest } from "./digest.ts";
