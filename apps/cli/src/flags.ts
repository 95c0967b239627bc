// The flags of every georep command, checked (with parseFlags) before a config file is read or a
// database is reached. Keys are commander's names for the flags (`sinceMinutes` for
// `--since-minutes`); each message says the fix.
import { z } from "zod";
import { wholeNumberFlag } from "@georep/command-line";
import { regionIdSchema } from "@georep/contract";
import { QUARANTINE_REASONS } from "@georep/merger";

const json = z.boolean().default(false);
const config = z.string().min(1, { message: "needs a file, e.g. --config us-east.json" });
const configs = z.array(config).min(2, {
  message: "needs one file per region, at least two, e.g. --config us-east.json eu-west.json",
});

export const schemaApplyFlags = z.object({ config, json });
export const statusFlags = z.object({ config, json });
export const verifyFlags = z.object({ config: configs, json });

export const kafkaAclsFlags = z
  .object({
    config: z.array(config).min(1, {
      message: "needs one file per region, e.g. --config us-east.json eu-west.json",
    }),
    apply: z.boolean().default(false),
    adminUser: z.string().min(1).default("admin"),
    adminPasswordFile: z.string().min(1).optional(),
    json,
  })
  .refine((f) => !f.apply || f.adminPasswordFile !== undefined, {
    message: "--apply needs --admin-password-file (the file holding the admin user's password)",
    path: ["adminPasswordFile"],
  });
export type KafkaAclsFlags = z.output<typeof kafkaAclsFlags>;

export const keygenFlags = z.object({
  out: z.string().min(1, { message: "needs a file for the private key, e.g. --out us-east.pem" }),
  json,
});
export type KeygenFlags = z.output<typeof keygenFlags>;

export const repairFlags = z.object({
  config: configs,
  region: regionIdSchema.optional(),
  buckets: wholeNumberFlag(1, 65_536, "--buckets 256"),
  json,
});

export const regionFillFlags = z.object({
  config: configs,
  region: regionIdSchema,
  from: regionIdSchema.optional(),
  json,
});
export const regionRemoveFlags = z.object({
  config: configs,
  region: regionIdSchema,
  drainSeconds: wholeNumberFlag(0, 86_400, "--drain-seconds 120"),
  json,
});

export const rehomeFlags = z.object({ config, from: regionIdSchema, to: regionIdSchema, json });

export const conflictsFlags = z.object({
  config,
  sinceMinutes: z.coerce
    .number({ message: "must be a number of minutes, e.g. --since-minutes 60" })
    .positive({ message: "must be above 0, e.g. --since-minutes 60" }),
  table: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, {
      message: "must be schema.table, e.g. --table public.counting_results",
    })
    .optional(),
  limit: wholeNumberFlag(1, 10_000, "--limit 100"),
  json,
});

export type ConflictFlags = z.output<typeof conflictsFlags>;

const dlqFilter = {
  config,
  reason: z
    .enum(QUARANTINE_REASONS, {
      message: `must be one of ${QUARANTINE_REASONS.join(", ")}, e.g. --reason rejected`,
    })
    .optional(),
  id: z
    .array(
      z
        .string()
        .regex(/^[1-9][0-9]{0,18}$/, { message: "must be row ids from dlq list, e.g. --id 12 13" }),
    )
    .optional(),
  limit: wholeNumberFlag(1, 100_000, "--limit 1000"),
  json,
};
export const dlqListFlags = z.object(dlqFilter);
export const dlqReplayFlags = z.object(dlqFilter);

export type DlqListFlags = z.output<typeof dlqListFlags>;
export type DlqReplayFlags = z.output<typeof dlqReplayFlags>;

// --since: an ISO time (2026-01-31, 2026-01-31T12:00Z) or how long ago (30m, 24h, 7d).
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DURATION = /^(\d{1,6})([smhd])$/;
const SECONDS_PER = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Where an audit listing starts: a moment, or seconds before the database's now. */
export type Since = { readonly at: string } | { readonly secondsAgo: number };

const since = z
  .string()
  .transform((value, ctx): Since => {
    const duration = DURATION.exec(value);
    if (duration !== null) {
      const [, n, unit] = duration;
      return { secondsAgo: Number(n) * SECONDS_PER[unit as keyof typeof SECONDS_PER] };
    }
    if (ISO_TIME.test(value) && !Number.isNaN(Date.parse(value))) return { at: value };
    ctx.addIssue({
      code: "custom",
      message: "must be an ISO time or how long ago, e.g. --since 2026-01-31T12:00Z or --since 24h",
    });
    return z.NEVER;
  })
  .optional();

export const auditFlags = z.object({
  config,
  since,
  command: z
    .string()
    .regex(/^[a-z]+(?:[ -][a-z]+)*$/, {
      message: 'must be a command name, e.g. --command repair or --command "region add"',
    })
    // "region-add" names the same command as "region add".
    .transform((c) => c.replaceAll("-", " "))
    .optional(),
  limit: wholeNumberFlag(1, 10_000, "--limit 100"),
  json,
});

export type AuditFlags = z.output<typeof auditFlags>;
