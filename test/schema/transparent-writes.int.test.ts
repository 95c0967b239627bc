import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InstalledDb } from "./fixtures.ts";
import { installedDatabase, ownComponents, userAndVisible } from "./fixtures.ts";

const KEY = "('cam-1', '2026-01-01 10:00+00')";

describe("plain SQL writes keep CRDT state exact", () => {
  let it_: InstalledDb;
  const q = (sql: string) => it_.pool.query(sql);

  beforeAll(async () => {
    it_ = await installedDatabase("writes");
  });
  afterAll(async () => it_.close());
  beforeEach(async () => {
    // A fresh key space per test: state rows are the engine's and are never deleted by services.
    await q("SET client_min_messages = warning");
    await q("DELETE FROM counting_results");
    await it_.pool.query("SET LOCAL georep.applying = 'off'");
  });

  async function expectConsistent(): Promise<void> {
    const { user, visible } = await userAndVisible(it_.pool);
    expect(visible).toEqual(user);
  }

  it("counts INSERT, UPDATE c = c + n and multi-row statements", async () => {
    await q(
      `INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ${KEY.replace(")", ", 5)")}`,
    );
    await q("UPDATE counting_results SET people_in = people_in + 3 WHERE camera_id = 'cam-1'");
    await q(
      "INSERT INTO counting_results (camera_id, bucket, people_in) SELECT 'cam-m', '2026-01-01 10:00+00'::timestamptz + make_interval(hours => i), i FROM generate_series(1, 4) i",
    );
    await q("UPDATE counting_results SET people_out = people_out + 1");
    await expectConsistent();
    const own = await ownComponents(it_.pool, "us-east");
    expect(own.get("cam-1@10")).toBeGreaterThanOrEqual(8n);
    const { rows } = await q(
      "SELECT sum(people_in)::int AS s, sum(people_out)::int AS o FROM counting_results",
    );
    expect(rows[0]).toEqual({ s: 8 + 10, o: 5 });
  });

  it("counts INSERT … ON CONFLICT DO UPDATE once, whichever action it takes", async () => {
    const upsert = `INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-u', '2026-01-01 10:00+00', 2)
      ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + excluded.people_in`;
    const before = (await ownComponents(it_.pool, "us-east")).get("cam-u@10") ?? 0n;
    await q(upsert); // inserts
    await q(upsert); // updates
    await q(upsert);
    const after = (await ownComponents(it_.pool, "us-east")).get("cam-u@10") ?? 0n;
    expect(after - before).toBe(6n);
    await expectConsistent();
  });

  it("keeps several statements of one transaction, and rolled back ones leave no state", async () => {
    const client = await it_.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        "INSERT INTO counting_results (camera_id, bucket, people_in, status) VALUES ('cam-t', '2026-01-01 10:00+00', 1, 'a')",
      );
      await client.query(
        "UPDATE counting_results SET people_in = people_in + 1, status = 'b' WHERE camera_id = 'cam-t'",
      );
      await client.query("COMMIT");
      await client.query("BEGIN");
      await client.query(
        "UPDATE counting_results SET people_in = people_in + 100 WHERE camera_id = 'cam-t'",
      );
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    const { rows } = await q(
      "SELECT people_in::int, status FROM georep.visible__public__counting_results WHERE camera_id = 'cam-t'",
    );
    expect(rows).toEqual([{ people_in: 2, status: "b" }]);
    await expectConsistent();
  });

  it("turns DELETE into a tombstone and counts a re-inserted row from zero", async () => {
    await q(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-d', '2026-01-01 10:00+00', 7)",
    );
    await q("DELETE FROM counting_results WHERE camera_id = 'cam-d'");
    let res = await q(
      "SELECT people_in::int, alive__ FROM georep.visible__public__counting_results WHERE camera_id = 'cam-d'",
    );
    expect(res.rows).toEqual([{ people_in: 0, alive__: false }]);
    await q(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-d', '2026-01-01 10:00+00', 3)",
    );
    res = await q(
      "SELECT people_in::int, alive__ FROM georep.visible__public__counting_results WHERE camera_id = 'cam-d'",
    );
    expect(res.rows).toEqual([{ people_in: 3, alive__: true }]);
    await expectConsistent();
  });

  it("stamps a local write above the value it overwrites, even one stamped far in the future", async () => {
    await q(
      "INSERT INTO counting_results (camera_id, bucket, status) VALUES ('cam-h', '2026-01-01 10:00+00', 'local')",
    );
    const future = (BigInt(Date.now() + 3_600_000) << 16n).toString();
    // A remote region with a clock one hour ahead wrote 'remote' (as the merger would store it).
    await q(`INSERT INTO georep.state__public__counting_results (camera_id, bucket, origin, status__v, status__t, ins__t)
      VALUES ('cam-h', '2026-01-01 10:00+00', 'eu-west', 'remote', ${future}, ${future})`);
    await q("UPDATE counting_results SET status = 'mine' WHERE camera_id = 'cam-h'");
    const { rows } = await q(
      "SELECT status, status__o, status__t > " +
        future +
        " AS above FROM georep.visible__public__counting_results WHERE camera_id = 'cam-h'",
    );
    expect(rows).toEqual([{ status: "mine", status__o: "us-east", above: true }]);
  });

  it("counts a local insert on top of remote increments whose insert has not arrived yet", async () => {
    // eu-west updated the row (its slice has increments but no insert stamp) and its slice
    // arrived before the insert of the region that created the row: the row is not visible yet.
    await q(`INSERT INTO georep.state__public__counting_results (camera_id, bucket, origin, people_in__p)
      VALUES ('cam-r', '2026-01-01 10:00+00', 'eu-west', 4)`);
    await q(`INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-r', '2026-01-01 10:00+00', 2)
      ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + excluded.people_in`);
    const { rows } = await q(
      "SELECT people_in::int FROM counting_results WHERE camera_id = 'cam-r'",
    );
    expect(rows).toEqual([{ people_in: 6 }]);
    expect((await ownComponents(it_.pool, "us-east")).get("cam-r@10")).toBe(2n);
    await expectConsistent();
  });

  it("refuses to lower a gcounter, to TRUNCATE, and to change a key, with clear errors", async () => {
    await q(
      "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-e', '2026-01-01 10:00+00', 5)",
    );
    await expect(
      q("UPDATE counting_results SET people_in = 4 WHERE camera_id = 'cam-e'"),
    ).rejects.toThrow(
      /column "people_in" of public.counting_results is a grow-only counter \(gcounter\) and cannot decrease/,
    );
    await expect(q("TRUNCATE counting_results")).rejects.toThrow(
      /TRUNCATE of replicated table public.counting_results is refused/,
    );
    await expect(
      q("UPDATE counting_results SET camera_id = 'cam-z' WHERE camera_id = 'cam-e'"),
    ).rejects.toThrow(/key of a replicated row/);
  });

  it("does not capture the merger's writes, and refuses the marker to other roles", async () => {
    const before = await ownComponents(it_.pool, "us-east");
    const client = await it_.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL georep.applying = 'on'");
      await client.query(
        "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-merged', '2026-01-01 10:00+00', 9)",
      );
      await client.query("COMMIT");
      // The check is on the session's login (session_user), so the writer logs in as itself.
      await client.query("CREATE ROLE app_writer_test").catch(() => undefined); // cluster-wide
      await client.query("ALTER ROLE app_writer_test LOGIN");
      await client.query("GRANT SELECT, INSERT, UPDATE ON counting_results TO app_writer_test");
      const url = new URL(it_.db.url);
      url.username = "app_writer_test";
      const writer = new pg.Client({ connectionString: url.toString() });
      await writer.connect();
      try {
        await writer.query("BEGIN");
        await writer.query("SET LOCAL georep.applying = 'on'");
        await expect(
          writer.query("UPDATE counting_results SET people_in = people_in + 1"),
        ).rejects.toThrow(/only the merger role/);
        await writer.query("ROLLBACK");
      } finally {
        await writer.end();
      }
    } finally {
      client.release();
    }
    expect((await ownComponents(it_.pool, "us-east")).get("cam-merged@10")).toBeUndefined();
    expect(await ownComponents(it_.pool, "us-east")).toEqual(before);
  });
});
