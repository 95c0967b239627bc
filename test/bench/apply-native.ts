// PostgreSQL native logical replication catch-up, the anchor for the merger's apply rate.
import pg from "pg";
import { createTestDatabase, waitFor } from "@georep/testkit";
import type { Workload } from "./apply-workload.ts";
import { TABLE_DDL, keyOf } from "./apply-workload.ts";

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/**
 * Source db on one cluster, target on another; a subscription created with copy_data = false and
 * disabled; the workload's changes committed at the source; then enabled and timed until the
 * target's totals equal the source's. Returns changes per second.
 */
export async function nativeApplyRate(w: Workload): Promise<number> {
  const src = await createTestDatabase("us-east", "bench_native_src");
  const dst = await createTestDatabase("eu-west", "bench_native_dst");
  const s = await connect(src.url);
  const d = await connect(dst.url);
  const sub = `sub_${src.name}`.slice(0, 60);
  try {
    for (const c of [s, d]) {
      await c.query(TABLE_DDL);
      await c.query(
        "INSERT INTO bench_counts (camera_id, bucket, home_region) SELECT 'cam-' || i, '2026-01-01', 'us-east' FROM generate_series(0, $1::int - 1) i",
        [w.keys],
      );
    }
    await s.query("CREATE PUBLICATION bench_pub FOR TABLE bench_counts");
    const port = new URL(src.url).port;
    await d.query(
      `CREATE SUBSCRIPTION ${sub} CONNECTION 'host=127.0.0.1 port=${port} dbname=${src.name} user=postgres' PUBLICATION bench_pub WITH (copy_data = false, slot_name = '${sub}')`,
    );
    await d.query(`ALTER SUBSCRIPTION ${sub} DISABLE`);
    // One UPDATE statement per change, a hundred per transaction.
    for (const tx of w.transactions) {
      await s.query(
        `BEGIN; ${tx.map((k) => `UPDATE bench_counts SET people_in = people_in + 1 WHERE camera_id = '${keyOf(k)}';`).join(" ")} COMMIT;`,
      );
    }
    const { rows } = await s.query<{ total: string }>(
      "SELECT sum(people_in)::text AS total FROM bench_counts",
    );
    const total = rows[0]?.total ?? "0";
    const applied = async (): Promise<number> =>
      Number(
        (await d.query<{ total: string }>("SELECT sum(people_in)::text AS total FROM bench_counts"))
          .rows[0]?.total ?? 0,
      );
    await d.query(`ALTER SUBSCRIPTION ${sub} ENABLE`);
    // The apply worker starts a few seconds after ENABLE: time from its first applied change.
    const atFirst = Number(
      await waitFor(async () => (await applied()) || false, {
        description: "the apply worker to start",
        timeoutMs: 60_000,
        intervalMs: 2,
      }),
    );
    const started = performance.now();
    await waitFor(async () => String(await applied()) === total, {
      description: "the subscription to catch up",
      timeoutMs: 600_000,
      intervalMs: 10,
    });
    return (w.changes - atFirst) / ((performance.now() - started) / 1000);
  } finally {
    await d.query(`ALTER SUBSCRIPTION ${sub} DISABLE`).catch(() => undefined);
    await d.query(`ALTER SUBSCRIPTION ${sub} SET (slot_name = NONE)`).catch(() => undefined);
    await d.query(`DROP SUBSCRIPTION IF EXISTS ${sub}`).catch(() => undefined);
    await s.end();
    await d.end();
    await dst.drop();
    await src.drop();
  }
}
