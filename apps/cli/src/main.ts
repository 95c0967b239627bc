#!/usr/bin/env -S npx tsx
import { Command } from "commander";
import { schemaApply } from "./commands/schema-apply.ts";
import { status } from "./commands/status.ts";
import { rehome } from "./commands/rehome.ts";
import { verify } from "./commands/verify.ts";
import { conflicts } from "./commands/conflicts.ts";

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
