import { createHash } from "node:crypto";
import { MAX_ROW_VALUE_BYTES } from "@georep/contract";
import type { TableSpec } from "./table-spec.ts";
import type { LocalReplica } from "./sql/capture-trigger.ts";

/** Bump when the compiled SQL changes shape, so every installed table is recompiled. */
export const COMPILER_VERSION = 12;

/**
 * What a table's compiled SQL depends on: its spec, the replica its trigger writes under (and
 * that replica's stamp floor), the row size limit its trigger checks and the compiler. Equal
 * hashes mean nothing to recompile.
 */
export function specHash(spec: TableSpec, local: LocalReplica): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        spec,
        replica: local.replica,
        stampFloor: local.stampFloor.toString(),
        maxRowValueBytes: MAX_ROW_VALUE_BYTES,
        COMPILER_VERSION,
      }),
    )
    .digest("hex");
}
