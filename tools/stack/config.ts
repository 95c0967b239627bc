import { join } from "node:path";
import { z } from "zod";
import { regionIdSchema } from "@georep/contract";
import { StackError } from "./errors.ts";

export const defaultRegions = ["us-east", "eu-west", "ap-south"] as const;
export const PG_BASE_PORT = 55431;
export const KAFKA_PORT = 19092;
export const KAFKA_CONTROLLER_PORT = 19093;
/** Where an already-running Redis is looked for (GEOREP_REDIS_PORT overrides). */
export const REDIS_EXTERNAL_PORT = 6379;
export const REDIS_MANAGED_PORT = 16379;

export interface RegionConfig {
  id: string;
  port: number;
  dataDir: string;
  logFile: string;
}

export interface StackConfig {
  root: string;
  stackDir: string;
  logsDir: string;
  regions: RegionConfig[];
  kafka: {
    pomDir: string;
    libsDir: string;
    dir: string;
    dataDir: string;
    logFile: string;
    port: number;
    controllerPort: number;
  };
  redis: { dir: string; logFile: string; externalPort: number; managedPort: number };
  endpointsFile: string;
}

const regionsSchema = z
  .array(regionIdSchema)
  .min(1, "name at least one region")
  .max(10, "at most 10 regions (ports 55431–55440)")
  .refine((rs) => new Set(rs).size === rs.length, "region ids must be unique");

/**
 * The regions from GEOREP_REGIONS (comma list), or the three defaults.
 * @throws StackError naming the bad value.
 */
export function parseRegions(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === "") return [...defaultRegions];
  const ids = raw
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  const result = regionsSchema.safeParse(ids);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An issue about one id has that id's index as its path: name the id.
  const at = issue?.path[0];
  const which = typeof at === "number" ? `'${ids[at] ?? ""}' ` : "";
  throw new StackError(
    `GEOREP_REGIONS='${raw}' is invalid: ${which}${issue?.message ?? "invalid"}`,
    "set GEOREP_REGIONS to a comma list of region ids such as 'us-east,eu-west,ap-south', or unset it",
  );
}

/**
 * A port from the environment, or the default.
 * @throws StackError naming the variable when it is not a port number.
 */
export function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const result = z.coerce.number().int().min(1).max(65_535).safeParse(raw.trim());
  if (result.success && /^\d+$/.test(raw.trim())) return result.data;
  throw new StackError(
    `${name}='${raw}' is not a TCP port`,
    `set ${name} to a number from 1 to 65535, or unset it`,
  );
}

/** The stack's layout under `<root>/.stack` and its ports. Pure. */
export function stackConfig(root: string, env: NodeJS.ProcessEnv): StackConfig {
  const stackDir = join(root, ".stack");
  const logsDir = join(stackDir, "logs");
  const kafkaDir = join(stackDir, "kafka");
  const redisDir = join(stackDir, "redis");
  return {
    root,
    stackDir,
    logsDir,
    regions: parseRegions(env["GEOREP_REGIONS"]).map((id, i) => ({
      id,
      port: PG_BASE_PORT + i,
      dataDir: join(stackDir, "pg", id),
      logFile: join(logsDir, `pg-${id}.log`),
    })),
    kafka: {
      pomDir: join(root, "tools", "kafka"),
      libsDir: join(root, "tools", "kafka", "target", "libs"),
      dir: kafkaDir,
      dataDir: join(kafkaDir, "data"),
      logFile: join(logsDir, "kafka.log"),
      port: KAFKA_PORT,
      controllerPort: KAFKA_CONTROLLER_PORT,
    },
    redis: {
      dir: redisDir,
      logFile: join(logsDir, "redis.log"),
      externalPort: parsePort("GEOREP_REDIS_PORT", env["GEOREP_REDIS_PORT"], REDIS_EXTERNAL_PORT),
      managedPort: REDIS_MANAGED_PORT,
    },
    endpointsFile: join(stackDir, "endpoints.json"),
  };
}
