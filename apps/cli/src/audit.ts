// The audit trail of the commands that change a deployment (schema apply, rehome, repair, region
// add|rebuild|remove, dlq replay): a 'started' row in every region the command acts on before it
// changes anything, then an 'ok' or 'failed' row, in georep.audit (migration 9).
//
//   audited(action, work)
//     │ 'started' in each region ──✗──▶ AuditError: 'failed' where 'started' was written; work never runs
//     ▼
//   work(trail)          trail.join(region, tx): a region whose audit table appears mid-run
//     │ ok                     │ threw
//     ▼                        ▼
//   'ok' in each region      'failed' + the error in each region (best effort), the error rethrown
//     └──✗──▶ AuditError: the change is made but its end is not recorded
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { redactFlags, redactText } from "./redact.ts";

/** A connection (client or pool) to a region's database. */
export interface AuditDb {
  query(sql: string, params: unknown[]): Promise<unknown>;
}

export interface AuditRegion {
  readonly region: string;
  /** Where the end row goes, and the 'started' row unless `join` is given a transaction. */
  readonly db: AuditDb;
}

export interface AuditAction<T> {
  /** The command as typed, e.g. "region add". */
  readonly command: string;
  /** The flags as given (secrets are redacted here); never a file's contents. */
  readonly flags: Readonly<Record<string, unknown>>;
  /** The regions known to be acted on before the work starts. */
  readonly regions: readonly AuditRegion[];
  /** A line for the 'ok' row, e.g. what changed. */
  readonly summary?: (result: T) => string;
}

/** An audited command's hold on its trail while it runs. */
export interface AuditTrail {
  /**
   * Adds a region acted on whose audit table exists only mid-run (a fresh database): its
   * 'started' row goes through `tx`, the transaction that created the table, so the change and
   * its record commit together. @throws AuditError when the row cannot be written.
   */
  join(region: AuditRegion, tx: AuditDb): Promise<void>;
}

/** An audit row that could not be written; exits 3 like any failure while running. */
export class AuditError extends Error {
  override readonly name = "AuditError";
  constructor(
    message: string,
    readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DETAIL_CHARS = 2000;

/** Who runs this process: OS user and host (the database adds its session_user). */
function osActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry.
    user = process.env["USER"] ?? `uid ${String(process.getuid?.() ?? "?")}`;
  }
  return `${user}@${hostname()}`;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : "";
  const text =
    cause === "" || error.message.includes(cause)
      ? error.message
      : `${error.message}; caused by: ${cause}`;
  return redactText(text).slice(0, DETAIL_CHARS);
}

/**
 * Runs `work` recorded in the audit trail of every region in `action.regions` (and every region
 * it joins). Returns what `work` returned.
 * @throws AuditError when a 'started' row cannot be written (nothing was run) or an 'ok' row
 *   cannot be (the change is made); otherwise what `work` threw.
 */
export async function audited<T>(
  action: AuditAction<T>,
  work: (trail: AuditTrail) => Promise<T>,
): Promise<T> {
  const run = randomUUID();
  const flags = JSON.stringify(redactFlags(action.flags));
  const actor = osActor();
  const write = async (
    db: AuditDb,
    region: string,
    outcome: "started" | "ok" | "failed",
    detail: string | null,
  ): Promise<void> => {
    try {
      await db.query(
        `INSERT INTO georep.audit (run, actor, command, arguments, region, outcome, detail)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
        [run, actor, action.command, flags, region, outcome, detail],
      );
    } catch (error) {
      throw new AuditError(
        `the audit row ('${outcome}') of georep ${action.command} could not be written in region '${region}': ${errorText(error)}`,
        region,
        { cause: error },
      );
    }
  };
  const started: AuditRegion[] = [];
  const endAll = async (outcome: "ok" | "failed", detail: string | null): Promise<void> => {
    const failures: AuditError[] = [];
    for (const r of started) {
      try {
        await write(r.db, r.region, outcome, detail);
      } catch (error) {
        if (!(error instanceof AuditError)) throw error;
        failures.push(error);
      }
    }
    if (failures[0] !== undefined && outcome === "ok")
      throw new AuditError(
        `georep ${action.command} is done, but ${failures[0].message}; its 'started' row stands there`,
        failures[0].region,
        { cause: failures[0] },
      );
  };
  const start = async (region: AuditRegion, tx: AuditDb): Promise<void> => {
    await write(tx, region.region, "started", null);
    started.push(region);
  };
  try {
    for (const r of action.regions) await start(r, r.db);
  } catch (error) {
    await endAll("failed", `not run: ${errorText(error)}`);
    throw error;
  }
  let result: T;
  try {
    result = await work({ join: start });
  } catch (error) {
    // The command's own error is the one to report; a region that cannot take its 'failed'
    // row keeps the 'started' one (endAll throws only for 'ok').
    await endAll("failed", errorText(error));
    throw error;
  }
  await endAll("ok", action.summary === undefined ? null : redactText(action.summary(result)));
  return result;
}
