// pg_dump / pg_restore of one database, as an operator takes and restores a logical backup.
import { PG_BIN } from "../../../tools/stack/postgres.ts";
import { runOrFail } from "../../../tools/stack/proc.ts";

/**
 * `pg_dump -Fc` of the database at `url` into `file` (a client tool: it runs as us).
 * @throws StackError (tools/stack) with pg_dump's output when it fails.
 */
export async function dumpDatabase(url: string, file: string): Promise<void> {
  await runOrFail(
    `${PG_BIN}/pg_dump`,
    ["--format=custom", `--file=${file}`, `--dbname=${url}`],
    "is the database up? see pg_dump's output above",
  );
}

/**
 * `pg_restore` of a custom-format dump into the (empty) database at `url`, stopping at the first
 * error so a partial restore never passes for a good one.
 * @throws StackError (tools/stack) with pg_restore's output when it fails.
 */
export async function restoreDatabase(url: string, file: string): Promise<void> {
  await runOrFail(
    `${PG_BIN}/pg_restore`,
    ["--exit-on-error", "--single-transaction", `--dbname=${url}`, file],
    "was the target database empty? see pg_restore's output above",
  );
}
