// One merge transaction: a batch's envelopes merged into the state tables through each table's
// merge function, together with the batch's progress rows; retried whole on deadlock (40P01) or
// serialization failure (40001). Used by the merger's batches and by repair.
import type { ClientBase } from "pg";
import type { Logger } from "@georep/observability";
import { backoffDelay } from "@georep/retry";
import type { StateLayout, TableSpec } from "@georep/schema";
import { sqlStateOf, stateLayout } from "@georep/schema";
import { MergeError, MergerConfigError, isRetriableSqlState } from "./errors.ts";
import { mergeCallSql, mergeFunctionSql } from "./sql/merge-function.ts";
import { progressParams } from "./sql/progress.ts";
import { progressFunctionsSql, RECORD_PROGRESS_SQL } from "./sql/progress-fence.ts";
import { epochCheckFunctionSql, epochSettingSql } from "./sql/epoch-check.ts";
import type { ProgressEntry } from "./sql/progress.ts";
import { stageParams } from "./sql/stage.ts";
import { stageEnvelopes } from "./staging.ts";
import { INSERT_QUARANTINE_SQL, quarantineParams } from "./quarantine.ts";
import { totalsOf } from "./merge-transaction-types.ts";
import type { MergeTransaction, MergeInput, MergeResult } from "./merge-transaction-types.ts";

export type { MergeTransaction, MergeInput, MergeResult } from "./merge-transaction-types.ts";

export interface MergeTransactionOptions {
  readonly tables: readonly TableSpec[];
  readonly logger: Logger;
  readonly maxAttempts?: number;
  /** First retry delay (ms, default 20); each retry doubles it, up to backoffMaxMs (default max(2,000, backoffMs)). */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
  /**
   * How long a merge waits for a row lock a local transaction holds; 0 (the default) waits as
   * long as it takes. The merger sets it (lockTimeoutMs, 2 s): past it the transaction fails with
   * 55P03 and the batch sets the blocked rows aside to retry later, instead of stalling its
   * partition behind the local transaction. Repair waits.
   */
  readonly lockTimeoutMs?: number;
  /**
   * Settings of every merging session, set with the merge functions (not as connection options,
   * which an `options=` in the database URL would replace): the active replicator's fencing
   * epoch (sql/epoch-check.ts), statement_timeout and idle_in_transaction_session_timeout.
   */
  readonly session?: {
    readonly epoch?: bigint;
    readonly statementTimeoutMs?: number;
    readonly idleInTransactionTimeoutMs?: number;
  };
  /** Waits between attempts; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Compiled {
  readonly layout: StateLayout;
  /** The session's conflict-candidate table and merge function (once per connection). */
  readonly create: string;
  readonly call: string;
}

const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `georep_merge_${statementNames.size}`;
    statementNames.set(sql, name);
  }
  return name;
}

const NO_PROGRESS: unknown[] = progressParams([]).map(() => null);
const ZERO = [0, 0, 0, 0, 0, 0, 0];

export function createMergeTransaction(options: MergeTransactionOptions): MergeTransaction {
  const compiled = new Map<string, Compiled>(
    options.tables.map((t) => {
      const layout = stateLayout(t);
      return [
        `${t.schema}.${t.name}`,
        { layout, create: mergeFunctionSql(layout), call: mergeCallSql(layout) },
      ];
    }),
  );
  const layouts = new Map([...compiled].map(([name, c]) => [name, c.layout]));
  const prepared = new WeakMap<ClientBase, true>();
  const maxAttempts = options.maxAttempts ?? 8;
  const lockTimeoutMs = options.lockTimeoutMs ?? 0;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 0)
    throw new MergerConfigError(
      `lockTimeoutMs (${lockTimeoutMs}) must be a whole number of milliseconds (0: wait as long as it takes)`,
      "lockTimeoutMs",
    );
  const backoff = backoffOf(options);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /**
   * One transaction. A batch of one table (the common case) is ONE statement in autocommit: the
   * table's merge function, with the progress rows, commits on its own. Several tables run in name
   * order in an explicit transaction, the first call fencing and recording progress (the fence
   * runs once per transaction: it claims a partition nobody has recorded yet).
   */
  async function once(
    client: ClientBase,
    input: MergeInput,
    step: { name: string },
  ): Promise<Omit<MergeResult, "attempts" | "sqlSeconds">> {
    const run = async (name: string, sql: string, params?: unknown[]) => {
      step.name = name;
      // Named statements are parsed and planned once per connection.
      return sql.includes(";")
        ? client.query(sql, params)
        : client.query({ name: statementName(sql), text: sql, values: params ?? [] });
    };
    if (!prepared.has(client)) {
      // lock_timeout for the session: every merge on this connection waits that long at most.
      const setup = [
        `SET lock_timeout = ${lockTimeoutMs};`,
        ...sessionSettingsSql(options.session),
        epochCheckFunctionSql,
        progressFunctionsSql,
        ...[...compiled.values()].map((c) => c.create),
      ];
      await run("create merge functions", setup.join("\n"));
      prepared.set(client, true);
    }
    const staged = stageEnvelopes(input.envelopes, layouts);
    const tables = [...staged.keys()].filter((t) => compiled.has(t)).sort();
    const progress = input.progress.length > 0 ? progressParams(input.progress) : NO_PROGRESS;
    const sums = [...ZERO];
    const setAside = input.quarantine ?? [];
    if (tables.length === 0 && setAside.length === 0) {
      if (input.progress.length > 0) await run("progress", RECORD_PROGRESS_SQL, progress);
      return totalsOf(sums);
    }
    const explicit = tables.length > 1 || setAside.length > 0;
    if (explicit) await run("begin", "BEGIN");
    try {
      for (const [i, table] of tables.entries()) {
        const c = compiled.get(table);
        const rows = [...(staged.get(table)?.values() ?? [])];
        if (c === undefined) continue;
        const registers = rows.some((r) => r.registers.size > 0);
        const args: unknown[] = [...stageParams(c.layout, rows), registers];
        args.push(...(i === 0 ? progress : NO_PROGRESS));
        const { rows: out } = await run(`${table}: merge`, c.call, args);
        const counts = (out[0] as { r: number[] } | undefined)?.r ?? ZERO;
        for (const [j, n] of counts.entries()) sums[j] = (sums[j] ?? 0) + n;
      }
      if (setAside.length > 0) {
        if (tables.length === 0 && input.progress.length > 0)
          await run("progress", RECORD_PROGRESS_SQL, progress);
        await run("quarantine", INSERT_QUARANTINE_SQL, quarantineParams(setAside));
      }
      if (explicit) await run("commit", "COMMIT");
      return totalsOf(sums);
    } catch (error) {
      if (explicit) await client.query("ROLLBACK").catch(() => undefined); // the original error is the one to report
      throw error;
    }
  }

  return {
    async run(client, input, context = {}) {
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        const step = { name: "start" };
        try {
          const done = await once(client, input, step);
          return { ...done, attempts: attempt, sqlSeconds: (performance.now() - started) / 1000 };
        } catch (error) {
          const state = sqlStateOf(error);
          if (isRetriableSqlState(state) && attempt < maxAttempts) {
            const wait = backoffDelay(backoff, attempt - 1);
            options.logger.warn(
              { ...context, sqlState: state, attempt, waitMs: wait, step: step.name },
              "merge transaction conflicted; retrying",
            );
            await sleep(wait);
            continue;
          }
          // 42883: a database installed before the user-row functions existed (COMPILER_VERSION 10).
          const fix =
            state === "42883"
              ? "; run `georep schema apply` for this region (with the admin login) to install the functions merges call"
              : "";
          throw new MergeError(
            `merging batch failed at step '${step.name}': ${(error as Error).message}${fix}`,
            { ...context, step: step.name },
            { cause: error },
          );
        }
      }
    },
  };
}

export type { ProgressEntry };

/**
 * The retry delays: doubling from backoffMs up to backoffMaxMs, whose default grows with a first
 * delay above it (a 5 s first delay must not make every retry fail on its bounds).
 * @throws MergerConfigError when backoffMaxMs is below backoffMs.
 */
function backoffOf(options: MergeTransactionOptions): { initialMs: number; maxMs: number } {
  const initialMs = options.backoffMs ?? 20;
  const maxMs = options.backoffMaxMs ?? Math.max(2_000, initialMs);
  if (maxMs < initialMs)
    throw new MergerConfigError(
      `backoffMaxMs (${maxMs}) is below backoffMs (${initialMs}); raise backoffMaxMs or lower backoffMs`,
      "backoffMaxMs",
    );
  return { initialMs, maxMs };
}

/** The session settings as SET statements (milliseconds are checked whole: they go into SQL). */
function sessionSettingsSql(session: MergeTransactionOptions["session"]): string[] {
  const ms = (field: string, value: number): number => {
    if (!Number.isInteger(value) || value < 0)
      throw new MergerConfigError(
        `${field} (${value}) must be a whole number of milliseconds`,
        field,
      );
    return value;
  };
  const out: string[] = [];
  if (session?.statementTimeoutMs !== undefined)
    out.push(`SET statement_timeout = ${ms("statementTimeoutMs", session.statementTimeoutMs)};`);
  if (session?.idleInTransactionTimeoutMs !== undefined)
    out.push(
      `SET idle_in_transaction_session_timeout = ${ms("idleInTransactionTimeoutMs", session.idleInTransactionTimeoutMs)};`,
    );
  if (session?.epoch !== undefined) out.push(epochSettingSql(session.epoch));
  return out;
}
