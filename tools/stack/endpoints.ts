import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Endpoints, parseEndpoints } from "@georep/testkit";
import type { StackConfig } from "./config.ts";
import { brokerAddress } from "./kafka.ts";
import { pgUrl } from "./postgres.ts";
import type { RedisEndpoint } from "./redis.ts";

/** The endpoints of a stack layout, validated against the testkit's schema. Pure. */
export function buildEndpoints(config: StackConfig, redis: RedisEndpoint): Endpoints {
  return parseEndpoints({
    regions: config.regions.map((r) => ({ id: r.id, pgUrl: pgUrl(r.port), port: r.port })),
    kafka: { brokers: [brokerAddress(config.kafka)] },
    redis,
  });
}

/** Writes endpoints (the plain or the secure stack's) as JSON. */
export function writeEndpoints(file: string, endpoints: object): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(endpoints, null, 2)}\n`);
}
