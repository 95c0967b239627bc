// `georep`: every command, its flags and what it prints. Flags are checked first (flags.ts);
// results print as tables, or as JSON with --json (output/); long commands draw a progress bar
// on a terminal (output/progress.ts).
import { createProgram, parseFlags } from "@georep/command-line";
import type { Command } from "@georep/command-line";
import type { z } from "zod";
import packageJson from "../package.json" with { type: "json" };
import { auditList, renderAudit } from "./commands/audit.ts";
import { conflicts, renderConflicts } from "./commands/conflicts.ts";
import { dlqList, dlqReplay, renderDlqList, renderDlqReplay } from "./commands/dlq.ts";
import { kafkaAcls, renderKafkaAcls } from "./commands/kafka-acls.ts";
import { keygen, renderKeygen } from "./commands/keygen.ts";
import { fillRegion, renderRegionFill } from "./commands/region-add.ts";
import type { RegionFill } from "./commands/region-add.ts";
import { removeRegion, renderRegionRemove } from "./commands/region-remove.ts";
import { rehome, renderRehome } from "./commands/rehome.ts";
import { renderRepair, repair } from "./commands/repair.ts";
import { renderSchemaApply, schemaApply } from "./commands/schema-apply.ts";
import { renderStatus, status } from "./commands/status.ts";
import { renderVerify, verify } from "./commands/verify.ts";
import { exitCodes, exitCodesHelp } from "./exit-codes.ts";
import * as flags from "./flags.ts";
import { printReport } from "./output/print.ts";
import { progressWanted } from "./output/progress.ts";

const CONFIG = "the region's replicator config (JSON)";
const CONFIGS = "one replicator config (JSON) per region";
const JSON_FLAG = "print the result as JSON (no progress bar)";

/**
 * The action of a command that prints a result: its flags checked with `schema`, `run`, then
 * the result as a table (or JSON with --json); exit code 1 when `differ` says the regions differ.
 */
function printing<S extends z.ZodType<{ json: boolean }>, R>(
  schema: S,
  run: (flags: z.output<S>) => Promise<R>,
  render: (report: R) => string,
  differ?: (report: R) => boolean,
): (_opts: unknown, command: Command) => Promise<void> {
  return async (_opts, command) => {
    const f = parseFlags(command, schema);
    const report = await run(f);
    printReport(report, f.json, render);
    if (differ?.(report) === true) process.exitCode = exitCodes.differ;
  };
}

/** The `georep` program; `runProgram` parses and runs it. */
export function georepProgram(): Command {
  const program = createProgram("georep", {
    description: "Operate georep, multi-region active-active PostgreSQL replication.",
    version: packageJson.version,
  });
  program.addHelpText("after", exitCodesHelp);

  program
    .command("schema")
    .description("Manage the engine schema in a region's database.")
    .command("apply")
    .description(
      "Install or migrate georep's state tables, triggers, publication and roles (idempotent).",
    )
    .requiredOption("--config <file>", CONFIG)
    .option("--json", JSON_FLAG)
    .action(printing(flags.schemaApplyFlags, (f) => schemaApply(f.config), renderSchemaApply));

  program
    .command("status")
    .description("Slot health and replication lag from every other region.")
    .requiredOption("--config <file>", CONFIG)
    .option("--json", JSON_FLAG)
    .action(printing(flags.statusFlags, (f) => status(f.config), renderStatus));

  program
    .command("verify")
    .description(
      "Compare regions row by row (digests by key range, then per-component detail); exit 1 if they differ.",
    )
    .requiredOption("--config <file...>", CONFIGS)
    .option("--json", JSON_FLAG)
    .action(
      printing(
        flags.verifyFlags,
        (f) => verify(f.config, { progress: progressWanted(f.json) }),
        renderVerify,
        (report) => !report.identical,
      ),
    );

  program
    .command("repair")
    .description(
      "Bring regions that differ back together from CRDT state (digests by key range, then every origin's and incarnation's state of the ranges that differ, merged idempotently); exit 1 if they still differ.",
    )
    .requiredOption("--config <file...>", CONFIGS)
    .option("--region <region>", "repair only this region, from all the others")
    .option("--buckets <n>", "key-hash ranges compared per table", "256")
    .option("--json", JSON_FLAG)
    .action(
      printing(
        flags.repairFlags,
        ({ config, json, ...f }) => repair(config, { ...f, progress: progressWanted(json) }),
        renderRepair,
        (report) => !report.identical,
      ),
    );

  const region = program
    .command("region")
    .description(
      "Add a region to a running deployment, rebuild a lost one, or remove one for good.",
    );
  const fill = (mode: RegionFill, description: string): void => {
    region
      .command(mode)
      .description(description)
      .requiredOption(
        "--config <file...>",
        "one replicator config (JSON) per region: the region's own and every peer's",
      )
      .requiredOption("--region <region>", `the region to ${mode}`)
      .option("--from <region>", "the peer to copy from (default: the first peer's config)")
      .option("--json", JSON_FLAG)
      .action(
        printing(
          flags.regionFillFlags,
          ({ config, json, ...f }) =>
            fillRegion(mode, config, { ...f, progress: progressWanted(json) }),
          renderRegionFill,
        ),
      );
  };
  fill(
    "add",
    "Fill a new region's empty database from a consistent snapshot of a peer's CRDT state, then add it to every peer's membership (their replicators start consuming it).",
  );
  fill(
    "rebuild",
    "Fill a lost region's new, empty database (same region id) from a peer: a new incarnation, its earlier components copied back.",
  );
  region
    .command("remove")
    .description(
      "Remove a region for good: its consumer group and slot go, the others stop consuming it; its components stay (counts never drop).",
    )
    .requiredOption(
      "--config <file...>",
      "every remaining region's replicator config (and the leaving one's, to drop its slot)",
    )
    .requiredOption("--region <region>", "the region to remove")
    .option(
      "--drain-seconds <n>",
      "how long to wait for every remaining region to apply what it shipped",
      "120",
    )
    .option("--json", JSON_FLAG)
    .action(
      printing(flags.regionRemoveFlags, (f) => removeRegion(f.config, f), renderRegionRemove),
    );

  program
    .command("rehome")
    .description(
      "Move every row homed in one region (e.g. a lost one) to another, as replicated local writes.",
    )
    .requiredOption(
      "--config <file>",
      "the replicator config (JSON) of the region running the move",
    )
    .requiredOption("--from <region>", "the region rows are homed in now")
    .requiredOption("--to <region>", "the region to home them in")
    .option("--json", JSON_FLAG)
    .action(
      printing(
        flags.rehomeFlags,
        (f) => rehome(f.config, f.from, f.to, { progress: progressWanted(f.json) }),
        renderRehome,
      ),
    );

  program
    .command("conflicts")
    .description(
      "The conflict ledger: register writes that lost to a concurrent write from another region.",
    )
    .requiredOption("--config <file>", CONFIG)
    .option("--since-minutes <n>", "how far back to look", "1440")
    .option("--table <schema.table>", "only this replicated table")
    .option("--limit <n>", "newest entries to list (counts cover the whole window)", "100")
    .option("--json", JSON_FLAG)
    .action(
      printing(flags.conflictsFlags, ({ config, ...f }) => conflicts(config, f), renderConflicts),
    );

  const dlq = program
    .command("dlq")
    .description(
      "The quarantine: remote rows this region set aside instead of merging (refused by a constraint, stamped too far ahead, blocked by a local lock).",
    );
  const filtered = (c: Command): Command =>
    c
      .requiredOption("--config <file>", CONFIG)
      .option("--reason <reason>", "only rows set aside for this reason")
      .option("--id <id...>", "only these rows (ids from dlq list)")
      .option("--limit <n>", "at most this many rows, oldest first", "1000")
      .option("--json", JSON_FLAG);
  filtered(dlq.command("list").description("List set-aside rows, oldest first.")).action(
    printing(flags.dlqListFlags, dlqList, renderDlqList),
  );
  filtered(
    dlq
      .command("replay")
      .description(
        "Merge set-aside rows again once the cause is fixed; merged rows leave the quarantine (idempotent).",
      ),
  ).action(
    printing(flags.dlqReplayFlags, dlqReplay, renderDlqReplay, (report) => report.kept.length > 0),
  );

  program
    .command("audit")
    .description(
      "The audit trail: who ran schema apply, repair, rehome, region add|rebuild|remove and dlq replay on this region, when, with which flags, and how it ended; newest first.",
    )
    .requiredOption("--config <file>", CONFIG)
    .option(
      "--since <time>",
      "only rows since an ISO time or for how long, e.g. 24h, 7d, 2026-01-31",
    )
    .option(
      "--command <name>",
      'only this command, e.g. repair or "region add" ("region": all of them)',
    )
    .option("--limit <n>", "newest rows to list", "100")
    .option("--json", JSON_FLAG)
    .action(printing(flags.auditFlags, auditList, renderAudit));

  program
    .command("keygen")
    .description(
      "Make a region's envelope-signing key (Ed25519): the private key into a new file (mode 0600), the public key to stdout for every region's regions[].publicKeys (docs/security.md).",
    )
    .requiredOption("--out <file>", "the new private key file (never overwritten)")
    .option("--json", JSON_FLAG)
    .action(printing(flags.keygenFlags, keygen, renderKeygen));

  program
    .command("kafka")
    .description("Kafka security.")
    .command("acls")
    .description(
      "Print every region's broker ACLs (principal User:georep-<region>; docs/stack.md); --apply creates them (idempotent) as the admin user on every cluster the configs name.",
    )
    .requiredOption("--config <file...>", CONFIGS)
    .option("--apply", "create the ACLs on the clusters (needs --admin-password-file)")
    .option("--admin-user <name>", "the super user that creates them", "admin")
    .option("--admin-password-file <file>", "the file holding the admin user's password")
    .option("--json", JSON_FLAG)
    .action(printing(flags.kafkaAclsFlags, kafkaAcls, renderKafkaAcls));

  return program;
}
