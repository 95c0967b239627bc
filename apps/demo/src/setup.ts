import pg from "pg";
import { deadLetterTopic, originTopic } from "@georep/contract";
import type { Endpoints } from "@georep/testkit";
import { testKafka, waitFor } from "@georep/testkit";

export const DEMO_DATABASE = "georep_demo";

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Releases and drops the demo's slots, then drops the demo database, on one cluster. */
async function dropDemoDatabase(client: pg.Client): Promise<void> {
  await client.query(
    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL",
    [DEMO_DATABASE],
  );
  await waitFor(
    async () =>
      (
        await client.query("SELECT 1 FROM pg_replication_slots WHERE database = $1 AND active", [
          DEMO_DATABASE,
        ])
      ).rowCount === 0,
    { description: "demo slots to be released", timeoutMs: 15_000 },
  );
  await client.query(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1",
    [DEMO_DATABASE],
  );
  await client.query(`DROP DATABASE IF EXISTS ${DEMO_DATABASE} WITH (FORCE)`);
}

async function onEachCluster(
  endpoints: Endpoints,
  use: (client: pg.Client) => Promise<void>,
): Promise<void> {
  for (const region of endpoints.regions) {
    const client = new pg.Client({ connectionString: region.pgUrl });
    await client.connect();
    try {
      await use(client);
    } finally {
      await client.end();
    }
  }
}

/** Drops the demo databases and their slots (idle slots would hold WAL). */
export async function dropDemo(endpoints: Endpoints): Promise<void> {
  await onEachCluster(endpoints, dropDemoDatabase);
}

/** A clean demo: fresh region databases (slots dropped) and no topics left from a previous run. */
export async function resetDemo(endpoints: Endpoints): Promise<Map<string, string>> {
  await onEachCluster(endpoints, async (client) => {
    await dropDemoDatabase(client);
    await client.query(`CREATE DATABASE ${DEMO_DATABASE}`);
  });
  const urls = new Map(endpoints.regions.map((r) => [r.id, withDatabase(r.pgUrl, DEMO_DATABASE)]));
  // Topics are named after regions, so a previous demo's messages would otherwise be merged again.
  const admin = testKafka("georep-demo").admin();
  await admin.connect();
  try {
    const stale = (await admin.listTopics()).filter((t) =>
      endpoints.regions.some(
        (r) =>
          t === originTopic(r.id) ||
          t.startsWith(`${originTopic(r.id)}.`) ||
          t === deadLetterTopic(r.id),
      ),
    );
    if (stale.length > 0) {
      await admin.deleteTopics({ topics: stale, timeout: 30_000 });
      await waitFor(async () => (await admin.listTopics()).every((t) => !stale.includes(t)), {
        description: "old demo topics to be deleted",
        timeoutMs: 60_000,
      });
    }
  } finally {
    await admin.disconnect();
  }
  return urls;
}
