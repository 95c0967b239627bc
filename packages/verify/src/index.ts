export { verifyRegions } from "./verify.ts";
export type {
  RegionHandle,
  RowDifference,
  VerifyOptions,
  VerifyProgress,
  VerifyReport,
} from "./verify.ts";
export { tableDigest } from "./digest.ts";
export type { RangeDigest } from "./digest.ts";
