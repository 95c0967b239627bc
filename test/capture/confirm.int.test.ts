// The position the capture confirms to PostgreSQL is exactly its durable position, never one
// byte past it. PostgreSQL, when a slot is streamed again, skips every transaction whose commit
// record starts before confirmed_flush_lsn, and the next commit record often starts exactly at
// the previous one's end: a slot confirmed one byte past a commit's end silently loses the
// commit written right after it.
import pg from "pg";
import { expect, it } from "vitest";
import { PgoutputDecoder, formatLsn, parseLsn } from "@georep/reader";
import type { Lsn, TuplePlan } from "@georep/reader";
import { acknowledgeThrough } from "@georep/reader/testing";
import { PUBLICATION } from "@georep/schema";
import { uniqueName, useCleanups, waitFor } from "@georep/testkit";
import type { RegionDb } from "./helpers.ts";
import { ownState, readTopic, setupRegionDb, slotPosition, testCapture } from "./helpers.ts";

const defer = useCleanups();

interface CommitRecord {
  readonly xid: number;
  /** Where the commit record starts. */
  readonly commitLsn: Lsn;
  /** Where it ends: the position that covers the transaction. */
  readonly endLsn: Lsn;
}

/** The Begin/Commit of every transaction `slot` would stream next, read without consuming it. */
async function peekCommits(client: pg.Client, slot: string): Promise<CommitRecord[]> {
  const { rows } = await client.query<{ data: Buffer }>(
    "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)",
    [slot, PUBLICATION],
  );
  const decoder = new PgoutputDecoder<TuplePlan>(() => undefined);
  const commits: CommitRecord[] = [];
  let xid = -1;
  for (const { data } of rows) {
    const message = decoder.decode(data);
    if (message.tag === "begin") xid = message.xid;
    else if (message.tag === "commit")
      commits.push({ xid, commitLsn: message.commitLsn, endLsn: message.endLsn });
  }
  return commits;
}

async function commitOf(client: pg.Client, slot: string, xid: number): Promise<CommitRecord> {
  const commit = (await peekCommits(client, slot)).find((c) => c.xid === xid);
  if (commit === undefined) throw new Error(`no commit of xid ${xid} on slot ${slot}`);
  return commit;
}

/** One own-state row for `camera` (inside the caller's transaction); returns the 32-bit xid. */
async function insertRow(client: pg.Client, camera: string): Promise<number> {
  await client.query(
    "INSERT INTO public.counting_results (camera_id, bucket, people_in, model_version) VALUES ($1, '2026-01-01T00:00:00Z', 1, 'm0')",
    [camera],
  );
  const { rows } = await client.query<{ xid: string }>("SELECT pg_current_xact_id()::text AS xid");
  return Number(BigInt(rows[0]?.xid ?? "0") & 0xffffffffn);
}

/** The key the consumed slices use for `camera`'s own-state row. */
async function keyOf(r: RegionDb, camera: string): Promise<string> {
  for (const [key, row] of await ownState(r.client, r.region))
    if (row["camera_id"] === camera) return key;
  throw new Error(`no own-state row for ${camera}`);
}

async function connect(r: RegionDb): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: r.db.url });
  await client.connect();
  defer(() => client.end());
  return client;
}

/**
 * Two transactions whose commit records are adjacent in the WAL: the second starts exactly
 * where the first ends. Both write their rows first; the second session then waits on an
 * advisory lock the first releases right after its COMMIT, so its COMMIT follows within
 * microseconds. WAL from elsewhere (other databases, a page boundary) can still fall in
 * between: checked on the slot's stream, and tried again.
 */
async function adjacentCommits(
  r: RegionDb,
): Promise<{ first: CommitRecord; second: CommitRecord; secondCamera: string }> {
  const a = await connect(r);
  const b = await connect(r);
  const { rows } = await b.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const bPid = rows[0]?.pid;
  const lock = 7_340_017;
  for (let attempt = 0; attempt < 30; attempt++) {
    await a.query(`SELECT pg_advisory_lock(${lock})`);
    await b.query("BEGIN");
    const xidB = await insertRow(b, `cam-second-${attempt}`);
    await a.query("BEGIN");
    const xidA = await insertRow(a, `cam-first-${attempt}`);
    // One query string: the lock wait and the COMMIT run back to back on the server.
    const bCommitted = b.query(
      `SELECT pg_advisory_lock(${lock}); COMMIT; SELECT pg_advisory_unlock(${lock})`,
    );
    await waitFor(
      async () =>
        (
          await r.client.query(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $1",
            [bPid],
          )
        ).rowCount === 1,
      { description: "the second session to wait for the first one's COMMIT" },
    );
    await a.query(`COMMIT; SELECT pg_advisory_unlock(${lock})`);
    await bCommitted;
    const first = await commitOf(r.client, r.slot, xidA);
    const second = await commitOf(r.client, r.slot, xidB);
    if (second.commitLsn === first.endLsn)
      return { first, second, secondCamera: `cam-second-${attempt}` };
  }
  throw new Error("no two adjacent commit records in 30 attempts");
}

it("confirms exactly the durable position: a shipped commit's end LSN, not one byte past it", async () => {
  const r = await setupRegionDb("cap_confirm");
  defer(() => r.close());
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  // No heartbeat after the first one: the commit below is the only WAL on this database.
  const capture = testCapture(r, { heartbeatIntervalMs: 600_000, statusIntervalMs: 100 });
  defer(() => capture.stop());
  await capture.start();
  await waitFor(
    async () =>
      capture.status().state === "streaming" &&
      capture.status().lastHeartbeatAt !== undefined &&
      (await slotPosition(r.client, r.slot)) !== undefined,
    { description: "the capture to stream from its new slot", timeoutMs: 60_000 },
  );
  // A second slot, to read the commit's LSNs from pgoutput itself (the capture's slot is busy).
  const observer = uniqueName("cap_confirm_obs");
  await r.client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [observer]);

  await r.client.query("BEGIN");
  const xid = await insertRow(r.client, "cam-confirm");
  await r.client.query("COMMIT");
  const commit = await commitOf(r.client, observer, xid);
  const key = await keyOf(r, "cam-confirm");
  await waitFor(() => topic.rows.has(key), {
    description: "the committed row in Kafka",
    timeoutMs: 30_000,
  });
  await waitFor(() => parseLsn(capture.status().durableLsn) >= commit.endLsn, {
    description: `the reader's durable position to reach the commit's end ${formatLsn(commit.endLsn)}`,
    timeoutMs: 30_000,
  });

  // Until the status update arrives, and at every poll: the slot is confirmed at most at the
  // durable position (read after it). While durable is still the commit's end (nothing else
  // was written since), that is exactly the commit's end.
  const overshoots: string[] = [];
  const confirmed = await waitFor(
    async () => {
      const position = parseLsn((await slotPosition(r.client, r.slot)) ?? "0/0");
      const durable = parseLsn(capture.status().durableLsn);
      if (position > durable)
        overshoots.push(
          `confirmed_flush_lsn ${formatLsn(position)} > durable ${formatLsn(durable)} (commit ends at ${formatLsn(commit.endLsn)})`,
        );
      return position >= commit.endLsn ? { position, durable } : undefined;
    },
    {
      description: `confirmed_flush_lsn to reach the commit's end ${formatLsn(commit.endLsn)}`,
      timeoutMs: 30_000,
      intervalMs: 20,
    },
  );
  expect(overshoots).toEqual([]);
  if (confirmed.durable === commit.endLsn) expect(confirmed.position).toBe(commit.endLsn);

  // After a graceful stop the slot holds the commit and never more than the final durable
  // position. Not exactly it: durable may move on a last keepalive after the final status update
  // went out, and a status update sent as the connection closes may never be read.
  await capture.stop();
  const durable = parseLsn(capture.status().durableLsn);
  const final = parseLsn((await slotPosition(r.client, r.slot)) ?? "0/0");
  expect(final).toBeGreaterThanOrEqual(commit.endLsn);
  expect(final <= durable, `slot ${formatLsn(final)} past durable ${formatLsn(durable)}`).toBe(
    true,
  );
});

it("after a restart, streams the commit that starts exactly where the confirmed one ends", async () => {
  const r = await setupRegionDb("cap_adjacent");
  defer(() => r.close());
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  // The capture attaches (creates the slot, ships the empty own state) and stops.
  const attach = testCapture(r);
  defer(() => attach.stop());
  await attach.start();
  await waitFor(
    () => attach.status().state === "streaming" && attach.status().lastHeartbeatAt !== undefined,
    { description: "the capture to stream from its new slot", timeoutMs: 60_000 },
  );
  await attach.stop();

  // While it is down: transaction 1, then transaction 2 whose commit record starts at the
  // first one's end.
  const { first, second, secondCamera } = await adjacentCommits(r);
  // A capture that had Kafka's acknowledgement for transaction 1 only reports its end through
  // the reader's session, then is gone.
  const confirmed = await acknowledgeThrough(r.db.url, r.slot, first.endLsn);

  const restarted = testCapture(r);
  defer(() => restarted.stop());
  await restarted.start();
  const key = await keyOf(r, secondCamera);
  await waitFor(() => topic.rows.has(key), {
    description: `transaction 2 (commit record at ${formatLsn(second.commitLsn)}, where transaction 1's ends; slot confirmed at ${formatLsn(confirmed)}) in Kafka after the restart`,
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  expect(confirmed).toBe(first.endLsn);
});
