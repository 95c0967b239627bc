import pg from "pg";
import { describe, expect, it } from "vitest";
import { readEndpoints } from "@georep/testkit";

// Every region's cluster runs with the settings the replication engine relies on, and keeps the
// durability defaults (we test durability: fsync and synchronous_commit stay on).
const expected: Record<string, string> = {
  wal_level: "logical",
  max_slot_wal_keep_size: "1GB",
  max_replication_slots: "20",
  max_wal_senders: "20",
  wal_sender_timeout: "1min",
  fsync: "on",
  synchronous_commit: "on",
  full_page_writes: "on",
  max_connections: "200",
  shared_buffers: "128MB",
};

describe.each(readEndpoints().regions)("PostgreSQL $id", (region) => {
  it("is PostgreSQL 15 with logical decoding settings and durable defaults", async () => {
    const client = new pg.Client({ connectionString: region.pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; setting: string }>(
        "SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name",
        [Object.keys(expected)],
      );
      expect(Object.fromEntries(rows.map((r) => [r.name, r.setting]))).toEqual(expected);
      const version = await client.query<{ v: string }>(
        "SELECT current_setting('server_version_num') AS v",
      );
      expect(version.rows[0]?.v).toMatch(/^15\d{4}$/);
    } finally {
      await client.end();
    }
  });
});
