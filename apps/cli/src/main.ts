#!/usr/bin/env -S npx tsx
import { Command } from "commander";
import { schemaApply } from "./commands/schema-apply.ts";
import { status } from "./commands/status.ts";
import { rehome } from "./commands/rehome.ts";
import { verify } from "./commands/verify.ts";
import { conflicts } from "./commands/conflicts.ts";
import { repair } from "./commands/repair.ts";
import { parseRepairFlags } from "./commands/repair-flags.ts";

const print = (value: unknown): void => {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
};

const program = new Command("georep").description(
  "Operate georep, multi-region active-active PostgreSQL replication.",
);

program
  .command("schema")
  .description("Manage the engine schema in a region's database.")
  .command("apply")
  .description(
    "Install or migrate georep's state tables, triggers, publication and roles (idempotent).",
  )
  .requiredOption("--config <file>", "the region's replicator config (JSON)")
  .action(async (opts: { config: string }) => {
    print(await schemaApply(opts.config));
  });

program
  .command("status")
  .description("Slot health and replication lag from every other region.")
  .requiredOption("--config <file>", "the region's replicator config (JSON)")
  .action(async (opts: { config: string }) => {
    print(await status(opts.config));
  });

program
  .command("verify")
  .description("Compare regions row by row (digests by key range, then per-component detail).")
  .requiredOption("--config <file...>", "one replicator config per region to compare")
  .action(async (opts: { config: string[] }) => {
    const report = await verify(opts.config);
    print(report);
    if (!report.identical) process.exitCode = 1;
  });

program
  .command("repair")
  .description(
    "Bring regions that differ back together from CRDT state (digests by key range, then every origin's and incarnation's state of the ranges that differ, merged idempotently).",
  )
  .requiredOption("--config <file...>", "one replicator config per region")
  .option("--region <region>", "repair only this region, from all the others")
  .option("--buckets <n>", "key-hash ranges compared per table", "256")
  .option("--json", "print the report as JSON (no progress bar)")
  .action(async (opts: { config: string[]; region?: string; buckets: string; json?: boolean }) => {
    const flags = parseRepairFlags(opts, process.stderr.isTTY);
    const report = await repair(opts.config, flags);
    if (opts.json === true) print(report);
    else
      process.stdout.write(
        `${report.repaired
          .map(
            (r) =>
              `${r.target}: ${r.rowsMerged} state rows merged from peers, ${r.stateRowsChanged} changed\n`,
          )
          .join(
            "",
          )}regions ${report.identical ? "identical" : "still differ (writes in flight, or run again)"} after ${report.seconds.toFixed(1)} s\n`,
      );
    if (!report.identical) process.exitCode = 1;
  });

program
  .command("rehome")
  .description(
    "Move every row homed in one region (e.g. a lost one) to another, as replicated local writes.",
  )
  .requiredOption("--config <file>", "the replicator config (JSON) of the region running the move")
  .requiredOption("--from <region>", "the region rows are homed in now")
  .requiredOption("--to <region>", "the region to home them in")
  .action(async (opts: { config: string; from: string; to: string }) => {
    print(await rehome(opts.config, opts.from, opts.to));
  });

program
  .command("conflicts")
  .description(
    "The conflict ledger: register writes that lost to a concurrent write from another region.",
  )
  .requiredOption("--config <file>", "the region's replicator config (JSON)")
  .option("--since-minutes <n>", "how far back to look (default 1440, one day)")
  .option("--table <schema.table>", "only this replicated table")
  .option("--limit <n>", "newest entries to list (default 100; counts cover the whole window)")
  .action(
    async (opts: { config: string; sinceMinutes?: string; table?: string; limit?: string }) => {
      const { config, ...flags } = opts;
      print(await conflicts(config, flags));
    },
  );

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`georep: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
