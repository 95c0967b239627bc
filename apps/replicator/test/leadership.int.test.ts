import pg from "pg";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { MergeError, createMergeTransaction } from "@georep/merger";
import { silentLogger } from "@georep/observability";
import { installSchema, parseInstallConfig, parseTableSpec } from "@georep/schema";
import { createTestDatabase, uniqueName, waitFor } from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";
import { LeadershipLostError, createLeadership } from "../src/leadership.ts";
import type { Leadership } from "../src/leadership.ts";

// Issue 11, part 2: the lease. A standby takes over when the active's session is gone (at once)
// or its lease expired (a hung active); the deposed active can then neither confirm the slot nor
// commit a merge, and a takeover waits for the merge transactions in flight.
const regions = ["le-a", "le-b"];
const spec = parseTableSpec({
  schema: "public",
  name: "lease_items",
  key: [{ name: "id", type: "bigint" }],
  columns: [
    { name: "hits", type: "bigint", crdt: "gcounter" },
    { name: "home", type: "text", crdt: "lww" },
  ],
  home: { kind: "column", column: "home" },
});
let db: TestDatabase;
let admin: pg.Client;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  db = await createTestDatabase("us-east", "lease");
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await installSchema(
    admin,
    parseInstallConfig({ region: "le-a", regions: regions.map((id) => ({ id })), tables: [spec] }),
  );
});
// Each test leaves the lease free: a failed test must not make the next one wait forever.
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await admin.end();
  await db.drop();
});

function leadership(leaseMs: number): { l: Leadership; lost: Error[] } {
  const l = createLeadership({
    pgUrl: db.url,
    logger: silentLogger(),
    slot: uniqueName("lease_slot"),
    leaseMs,
    pollMs: 100,
  });
  const lost: Error[] = [];
  l.onLost((e) => lost.push(e));
  cleanups.push(() => l.release());
  return { l, lost };
}

const expireLease = () =>
  admin.query("UPDATE georep.leader SET expires_at = clock_timestamp() - interval '1 second'");

/** A merging session as the active's merger opens it: carrying its epoch. */
async function mergerOf(epoch: bigint) {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  cleanups.push(() => client.end());
  const merge = createMergeTransaction({
    tables: [spec],
    logger: silentLogger(),
    session: { epoch },
  });
  return {
    client,
    run: (e: ReturnType<typeof slice>) => merge.run(client, { envelopes: [e], progress: [] }),
  };
}

/** The standby's session: a leader session of this database that is not the holder's. */
const standbySession = () =>
  admin.query<{ pid: number; query: string; state: string; wait: string | null }>(
    `SELECT pid, query, state, wait_event_type AS wait FROM pg_stat_activity
     WHERE application_name = 'georep-leader' AND datname = current_database()
       AND pid <> (SELECT holder_pid FROM georep.leader)`,
  );

const slice = (id: number, hits: number) => ({
  v: 1 as const,
  kind: "rows" as const,
  origin: "le-b",
  lsn: "0/1",
  commitTime: Date.now(),
  rows: [
    {
      table: "public.lease_items",
      key: { id: String(id) },
      zone: null,
      counters: { hits__p: String(hits) },
      registers: {},
      ins: String(1n << 16n),
      del: null,
      delBase: null,
    },
  ],
});

it("a standby takes over at once when the active's session ends, with the next epoch", async () => {
  const a = leadership(60_000);
  const epochA = await a.l.acquire(new AbortController().signal);
  const b = leadership(60_000);
  let epochB: bigint | undefined;
  void b.l.acquire(new AbortController().signal).then((e) => (epochB = e));
  // The standby has looked at the lease and found it held.
  await waitFor(
    async () =>
      (await standbySession()).rows.some((r) => r.state === "idle" && r.query.includes("takeable")),
    { description: "the standby to check the lease" },
  );
  expect(epochB, "the standby must wait while the active holds a live lease").toBeUndefined();
  await admin.query(
    "SELECT pg_terminate_backend(holder_pid) FROM georep.leader WHERE id AND epoch = $1",
    [epochA.toString()],
  );
  await waitFor(() => epochB !== undefined, { description: "the standby to take over" });
  expect(epochB).toBe(epochA + 1n);
  await waitFor(() => a.lost.length === 1, { description: "the deposed active to notice" });
  await b.l.release();
});

it("a hung active's expired lease is taken over; it can then confirm nothing and commit no merge", async () => {
  const a = leadership(60_000);
  const epochA = await a.l.acquire(new AbortController().signal);
  const merger = await mergerOf(epochA);
  await merger.run(slice(1, 5));
  await a.l.confirm();

  // As if the active stopped renewing (SIGSTOP; the drill does it to a real process).
  await expireLease();
  const b = leadership(60_000);
  const epochB = await b.l.acquire(new AbortController().signal);
  expect(epochB).toBe(epochA + 1n);

  const refused = await merger.run(slice(1, 9)).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(MergeError);
  expect((refused as MergeError).sqlState).toBe("GRL01");
  const { rows } = await admin.query<{ hits: string }>(
    "SELECT hits::text AS hits FROM public.lease_items WHERE id = 1",
  );
  expect(rows[0]?.hits, "the deposed active's merge must change nothing").toBe("5");
  await expect(a.l.confirm()).rejects.toBeInstanceOf(LeadershipLostError);
  expect(a.lost).toHaveLength(1);

  // The new active's own merges go on.
  await (await mergerOf(epochB)).run(slice(1, 9));
  await b.l.release();
});

it("a takeover waits for the deposed active's merge transaction in flight", async () => {
  const a = leadership(60_000);
  const epochA = await a.l.acquire(new AbortController().signal);
  const session = (await mergerOf(epochA)).client;
  // The lock every merge transaction takes in its epoch check, held by an open transaction.
  await session.query("BEGIN");
  await session.query("SELECT 1 FROM georep.leader WHERE id FOR KEY SHARE");
  await expireLease();
  const b = leadership(60_000);
  let epochB: bigint | undefined;
  void b.l.acquire(new AbortController().signal).then((e) => (epochB = e));
  await waitFor(async () => (await standbySession()).rows.some((r) => r.wait === "Lock"), {
    description: "the takeover to wait on the leader row's lock",
  });
  expect(epochB, "the takeover must wait for the merge in flight").toBeUndefined();
  await session.query("COMMIT");
  await waitFor(() => epochB !== undefined, { description: "the takeover after the commit" });
  expect(epochB).toBe(epochA + 1n);
  await b.l.release();
});

it("a stopping active hands the lease over at once", async () => {
  const a = leadership(60_000);
  const epochA = await a.l.acquire(new AbortController().signal);
  const b = leadership(60_000);
  let epochB: bigint | undefined;
  void b.l.acquire(new AbortController().signal).then((e) => (epochB = e));
  const started = performance.now();
  await a.l.release();
  await waitFor(() => epochB !== undefined, { description: "the standby to take over" });
  expect(epochB).toBe(epochA + 1n);
  expect(performance.now() - started).toBeLessThan(5_000);
  await b.l.release();
});

it("a standby whose session drops opens another and still takes over", async () => {
  const a = leadership(60_000);
  const epochA = await a.l.acquire(new AbortController().signal);
  const b = leadership(60_000);
  let epochB: bigint | undefined;
  void b.l.acquire(new AbortController().signal).then((e) => (epochB = e));
  const first = await waitFor(async () => (await standbySession()).rows[0]?.pid, {
    description: "the standby's session",
  });
  await admin.query("SELECT pg_terminate_backend($1)", [first]);
  await waitFor(async () => ((await standbySession()).rows[0]?.pid ?? first) !== first, {
    description: "the standby to open a new session",
  });
  await a.l.release();
  await waitFor(() => epochB !== undefined, { description: "the standby to take over" });
  expect(epochB).toBe(epochA + 1n);
  expect(b.lost, "a standby's dropped session is no lost leadership").toEqual([]);
});
