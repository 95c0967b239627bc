// Hostile table specs, replicator configs and merger options: arbitrary values, and valid ones
// mutated field by field. Each parser either accepts the input or throws its own error type
// whose `field` names the field at fault and whose message says it; nothing else, never a hang.
import fc from "fast-check";
import { expect, it } from "vitest";
import { propertyConfig, propertyParameters } from "@georep/crdt/testing";
import { MergerConfigError, parseMergerOptions } from "@georep/merger";
import { ConfigError, parseReplicatorConfig } from "@georep/replicator";
import { SpecError, countingResultsSpec, parseTableSpec } from "@georep/schema";
import { hostileValue, mutateAll, mutationArb } from "./hostile-values.ts";

const ITEMS_SPEC = {
  schema: "public",
  name: "items",
  key: [{ name: "id", type: "text" }],
  columns: [
    { name: "hits", type: "bigint", crdt: "gcounter" },
    { name: "balance", type: "bigint", crdt: "pncounter" },
    { name: "price", type: "numeric(10, 2)", crdt: "lww" },
    { name: "note", type: "varchar(40)", crdt: "lww" },
  ],
  home: {
    kind: "prefix",
    column: "id",
    prefixes: [{ prefix: "eu-", region: "eu-west" }],
    otherwise: "us-east",
  },
  policy: "home-wins",
};

const REPLICATOR_CONFIG = {
  region: "us-east",
  regions: [{ id: "us-east" }, { id: "eu-west", zone: "eu" }],
  postgres: { url: "postgres://georep@localhost:55431/georep" },
  peers: [{ region: "eu-west", postgres: { url: "postgres://georep@localhost:55432/georep" } }],
  kafka: { brokers: ["localhost:19092"], partitions: 6 },
  redis: { url: "redis://localhost:6379", cacheTtlSeconds: 60 },
  tables: ["counting_results", ITEMS_SPEC],
  http: { port: 0, host: "127.0.0.1" },
  merge: { lockTimeoutMs: 2_000, maxForwardSkewMs: 60_000 },
  lagWarningSeconds: 30,
  lagCriticalSeconds: 60,
};

const MERGER_OPTIONS = {
  maxMessageBytes: 1_000_000,
  maxBytesPerPartition: 2_000_000,
  lockTimeoutMs: 2_000,
  poolSize: 5,
  concurrentPartitions: 16,
  ensureTopics: true,
};

type ErrorType = new (...args: never[]) => Error & { field: string };

interface Subject {
  readonly name: string;
  readonly parse: (input: unknown) => unknown;
  readonly error: ErrorType;
  readonly valid: readonly unknown[];
}

const SUBJECTS: readonly Subject[] = [
  {
    name: "table spec",
    parse: parseTableSpec,
    error: SpecError,
    valid: [countingResultsSpec, ITEMS_SPEC],
  },
  {
    name: "replicator config",
    parse: parseReplicatorConfig,
    error: ConfigError,
    valid: [REPLICATOR_CONFIG],
  },
  {
    name: "merger options",
    parse: parseMergerOptions,
    error: MergerConfigError,
    valid: [MERGER_OPTIONS],
  },
];

/** Mostly mutations of a valid input (they reach the cross-checks), sometimes anything at all. */
const inputArb = (valid: readonly unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 1, arbitrary: hostileValue },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...valid),
          fc.array(mutationArb(hostileValue), { minLength: 1, maxLength: 3 }),
        )
        .map(([v, ms]) => mutateAll(v, ms)),
    },
  );

const show = (input: unknown): string => {
  try {
    return ((JSON.stringify(input) as string | undefined) ?? String(input)).slice(0, 400);
  } catch {
    return String(input);
  }
};

it.each(SUBJECTS)("$name: accepted, or refused with its error naming the field", (subject) => {
  const config = propertyConfig(process.env, 200);
  const { seed } = config;
  let tried = 0;
  let accepted = 0;
  fc.assert(
    fc.property(inputArb(subject.valid), (input) => {
      tried++;
      const started = performance.now();
      let thrown: unknown;
      try {
        subject.parse(input);
        accepted++;
      } catch (error) {
        thrown = error;
      }
      expect(performance.now() - started, show(input)).toBeLessThan(2_000);
      if (thrown === undefined) return;
      if (!(thrown instanceof subject.error))
        throw new Error(`threw ${show(thrown)} for ${show(input)}`, { cause: thrown });
      expect(thrown.field, `field of "${thrown.message}"`).toMatch(/\S/);
      expect(thrown.message.length, show(input)).toBeLessThan(2_000);
      // The message names the field: its path, or its innermost part (a nested parser's own path).
      const inner = thrown.field.replace(/^tables\[\d+\]\./, "");
      expect(thrown.message, `does not name ${thrown.field}`).toContain(inner);
    }),
    propertyParameters(config),
  );
  console.log(
    `hostile ${subject.name}: ${tried} cases tried, ${accepted} accepted (seed ${seed}, replay with GEOREP_SEED=${seed})`,
  );
});
