import { z } from "zod";
import { SpecError } from "./errors.ts";
import { regionIdSchema, zoneIdSchema } from "@georep/contract";
import { ROOT_FIELD, firstIssue } from "./zod-issue.ts";
import { parseTableSpec } from "./table-spec.ts";
import type { TableSpec } from "./table-spec.ts";

const regionSchema = z.object({ id: regionIdSchema, zone: zoneIdSchema.optional() }).strict();

const installConfigSchema = z
  .object({
    region: regionIdSchema,
    regions: z.array(regionSchema).min(1, { message: "must list every region, this one included" }),
    tables: z.array(z.unknown()).min(1, { message: "must declare at least one replicated table" }),
  })
  .strict();

export interface InstallConfig {
  readonly region: string;
  readonly regions: ReadonlyArray<{ id: string; zone?: string | undefined }>;
  readonly tables: readonly TableSpec[];
}

/** Validates what the installer is told; throws SpecError naming the field and the fix. */
export function parseInstallConfig(input: unknown): InstallConfig {
  const parsed = installConfigSchema.safeParse(input);
  if (!parsed.success) {
    const { field, text } = firstIssue(parsed.error);
    throw new SpecError(`schema config: ${text}`, field, { cause: parsed.error });
  }
  const { region, regions } = parsed.data;
  const ids = regions.map((r) => r.id);
  if (new Set(ids).size !== ids.length) {
    throw new SpecError(
      "schema config: regions lists a region twice; list each region once",
      "regions",
    );
  }
  if (!ids.includes(region)) {
    throw new SpecError(
      `schema config: region '${region}' is not in regions [${ids.join(", ")}]; add it there`,
      "region",
    );
  }
  const tables = parsed.data.tables.map((t, i) => {
    try {
      return parseTableSpec(t);
    } catch (error) {
      if (error instanceof SpecError) {
        const field = error.field === ROOT_FIELD ? `tables[${i}]` : `tables[${i}].${error.field}`;
        throw new SpecError(`tables[${i}]: ${error.message}`, field, { cause: error });
      }
      throw error;
    }
  });
  const names = tables.map((t) => `${t.schema}.${t.name}`);
  if (new Set(names).size !== names.length) {
    throw new SpecError(
      "schema config: a table is declared twice in tables; declare each once",
      "tables",
    );
  }
  tables.forEach((t, i) => {
    checkHomeRegions(t, ids, i);
  });
  return { region, regions, tables };
}

function checkHomeRegions(spec: TableSpec, ids: readonly string[], i: number): void {
  if (spec.home.kind !== "prefix") return;
  for (const region of [...spec.home.prefixes.map((p) => p.region), spec.home.otherwise]) {
    if (!ids.includes(region)) {
      throw new SpecError(
        `table spec '${spec.name}': home rule names region '${region}', which is not in regions; add it or fix the rule`,
        `tables[${i}].home`,
      );
    }
  }
}
