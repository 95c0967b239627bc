import { heartbeatProgressSchema } from "@georep/contract";
import type { HeartbeatProgress } from "@georep/contract";

/**
 * The heartbeat row's `stable` and `applied` columns (text, as pgoutput sends them) as the
 * envelope's progress. Undefined when the row has none (a database before migration 7) or they
 * do not parse: the heartbeat still goes out, and peers only wait longer to collect tombstones.
 */
export function heartbeatProgress(
  stable: string | null | undefined,
  applied: string | null | undefined,
): HeartbeatProgress | undefined {
  if (typeof stable !== "string" || typeof applied !== "string") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(applied);
  } catch {
    return undefined;
  }
  const result = heartbeatProgressSchema.safeParse({ stable, applied: parsed });
  return result.success ? result.data : undefined;
}
