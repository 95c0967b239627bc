import pg from "pg";
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import { describe, expect, it } from "vitest";
import {
  createTestDatabase,
  dropReplicationSlot,
  readEndpoints,
  uniqueName,
  waitFor,
} from "@georep/testkit";

/** "16/B374D848" → 0x16B374D848n, to compare LSNs. */
function lsn(text: string): bigint {
  const [hi, lo] = text.split("/");
  return (BigInt(`0x${hi ?? "0"}`) << 32n) | BigInt(`0x${lo ?? "0"}`);
}

// A committed INSERT on a fresh table streams through a pgoutput slot via pg-logical-replication,
// and the slot's confirmed position moves only when we acknowledge (the library's own timer is off).
describe.each(readEndpoints().regions)("logical replication on $id", (region) => {
  it("streams a committed INSERT through pgoutput and only confirms what we acknowledge", async () => {
    const db = await createTestDatabase(region.id, "ground_slot");
    const slot = uniqueName("ground_slot");
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const service = new LogicalReplicationService(
      { connectionString: db.url },
      // Trap: with auto:false the library still acks the last *received* LSN on a timer unless timeoutSeconds is 0.
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    const messages: Pgoutput.Message[] = [];
    const errors: unknown[] = [];
    let acknowledged: string | undefined;
    service.on("data", (_lsn: string, message: Pgoutput.Message) => {
      messages.push(message);
    });
    service.on("error", (e: Error) => {
      errors.push(e);
    });
    service.on("heartbeat", (_lsn: string, _ts: number, shouldRespond: boolean) => {
      // Answer keepalives ourselves, with what we have acknowledged so far.
      if (shouldRespond && acknowledged !== undefined) void service.acknowledge(acknowledged);
    });
    let streaming: Promise<unknown> | undefined;
    try {
      await client.query("CREATE TABLE ground (id int PRIMARY KEY, note text NOT NULL)");
      await client.query("CREATE PUBLICATION ground_pub FOR TABLE ground");
      await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);

      streaming = service
        .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: ["ground_pub"] }), slot)
        .catch((e: unknown) => errors.push(e));
      await client.query("INSERT INTO ground VALUES (1, $1)", [`hello from ${region.id}`]);

      const commit = await waitFor(
        () => {
          const insert = messages.find((m): m is Pgoutput.MessageInsert => m.tag === "insert");
          const end = messages.find((m): m is Pgoutput.MessageCommit => m.tag === "commit");
          if (errors.length > 0)
            throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
          return insert !== undefined && end !== undefined ? { insert, end } : undefined;
        },
        { description: `the INSERT and its COMMIT from slot ${slot}`, timeoutMs: 20_000 },
      );
      expect(commit.insert.relation.name).toBe("ground");
      expect(commit.insert.new).toEqual({ id: 1, note: `hello from ${region.id}` });
      const commitEnd = commit.end.commitEndLsn;
      expect(commitEnd).not.toBeNull();
      if (commitEnd === null) return;

      const confirmed = async (): Promise<bigint> => {
        const { rows } = await client.query<{ c: string }>(
          "SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1",
          [slot],
        );
        return lsn(rows[0]?.c ?? "0/0");
      };
      expect(await confirmed()).toBeLessThan(lsn(commitEnd));

      acknowledged = commitEnd;
      await service.acknowledge(commitEnd);
      await waitFor(async () => (await confirmed()) >= lsn(commitEnd), {
        description: `slot ${slot} to confirm ${commitEnd}`,
        timeoutMs: 20_000,
      });
      expect(errors).toEqual([]);
    } finally {
      await service.stop();
      await streaming;
      await dropReplicationSlot(client, slot);
      await client.end();
      await db.drop();
    }
  });
});
