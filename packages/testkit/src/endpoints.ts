import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { regionIdSchema } from "@georep/contract";
import { stackDir } from "./repo-root.ts";

const port = z.number().int().min(1).max(65_535);

export const regionEndpointSchema = z.object({
  id: regionIdSchema,
  pgUrl: z.string().regex(/^postgres(ql)?:\/\//, "pgUrl must be a postgres:// URL"),
  port,
});

/** The shape of `.stack/endpoints.json`, written by `pnpm stack up`. */
export const endpointsSchema = z.object({
  regions: z
    .array(regionEndpointSchema)
    .min(1)
    .refine((rs) => new Set(rs.map((r) => r.id)).size === rs.length, "region ids must be unique"),
  kafka: z.object({
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, "a broker is host:port")).min(1),
  }),
  redis: z.object({
    url: z.string().regex(/^rediss?:\/\//, "redis url must be redis://"),
    managed: z.boolean(),
  }),
});

export type Endpoints = z.infer<typeof endpointsSchema>;
export type RegionEndpoint = z.infer<typeof regionEndpointSchema>;

/** Where `pnpm stack up` writes the endpoints. */
export function endpointsPath(root?: string): string {
  return join(stackDir(root), "endpoints.json");
}

/**
 * Parses endpoints from unknown JSON.
 * @throws Error naming each invalid field.
 */
export function parseEndpoints(json: unknown, source = "endpoints"): Endpoints {
  const result = endpointsSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new Error(`${source} is invalid (${issues}). Run \`pnpm stack up\` to rewrite it.`);
  }
  return result.data;
}

/**
 * Reads and validates `.stack/endpoints.json`.
 * @throws Error telling you to run `pnpm stack up` when the file is missing or invalid.
 */
export function readEndpoints(file: string = endpointsPath()): Endpoints {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new Error(`No stack endpoints at ${file}: run \`pnpm stack up\` first.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${file} is not valid JSON: run \`pnpm stack up\` to rewrite it.`, { cause });
  }
  return parseEndpoints(json, file);
}

/**
 * The endpoint of one region.
 * @throws Error listing the known regions when `regionId` is not one of them.
 */
export function regionEndpoint(endpoints: Endpoints, regionId: string): RegionEndpoint {
  const region = endpoints.regions.find((r) => r.id === regionId);
  if (region === undefined) {
    const known = endpoints.regions.map((r) => r.id).join(", ");
    throw new Error(`Unknown region '${regionId}': the stack has ${known}.`);
  }
  return region;
}
