import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics, silentLogger, systemClock } from "@georep/observability";
import { countingResultsSpec, installSchema, parseInstallConfig } from "@georep/schema";
import { devKafka, createTestDatabase, uniqueName } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { ConfigError, createReplicator, parseReplicatorConfig } from "../src/index.ts";

// Bad input at start: a replicator pointed at another region's database, or given a peer URL
// that is not that peer's database, is refused before anything is written, naming the field.
describe("the replicator refuses a database of another region", () => {
  const regions = [{ id: "us-east" }, { id: "eu-west" }];
  let east: TestDatabase;
  let west: TestDatabase;
  const slot = uniqueName("dbcheck_slot");

  beforeAll(async () => {
    east = await createTestDatabase("us-east", "dbcheck");
    west = await createTestDatabase("eu-west", "dbcheck");
    for (const [db, region] of [
      [east, "us-east"],
      [west, "eu-west"],
    ] as const) {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await installSchema(
        c,
        parseInstallConfig({ region, regions, tables: [countingResultsSpec] }),
      );
      await c.end();
    }
  });
  afterAll(async () => {
    await east.drop();
    await west.drop();
  });

  const start = async (config: Record<string, unknown>): Promise<unknown> => {
    const replicator = createReplicator({
      config: parseReplicatorConfig({
        regions,
        kafka: devKafka(),
        tables: ["counting_results"],
        slotName: slot,
        ...config,
      }),
      logger: silentLogger(),
      metrics: createMetrics(),
      clock: systemClock,
    });
    try {
      await replicator.start();
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await replicator.stop();
    }
  };

  const untouched = async (db: TestDatabase): Promise<void> => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const slots = await c.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [
        slot,
      ]);
      expect(slots.rowCount).toBe(0);
      const inc = await c.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM georep.incarnations",
      );
      expect(inc.rows[0]?.n).toBe("1");
    } finally {
      await c.end();
    }
  };

  it("names postgres.url when it is another region's database, and writes nothing", async () => {
    const error = await start({ region: "eu-west", postgres: { url: east.url } });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ field: "postgres.url" });
    expect((error as Error).message).toMatch(/is region 'us-east''s database, not 'eu-west''s/);
    await untouched(east);
  });

  it("names the peer whose URL is not that peer's database", async () => {
    const error = await start({
      region: "us-east",
      postgres: { url: east.url },
      peers: [{ region: "eu-west", postgres: { url: `${east.url}?application_name=peer` } }],
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ field: "peers.0.postgres.url" });
    expect((error as Error).message).toMatch(/is region 'us-east''s database, not 'eu-west''s/);
    await untouched(east);
  });
});
