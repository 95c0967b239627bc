import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  componentOf,
  createHlc,
  deleteRow,
  emptyRow,
  incrementRowCounter,
  insertRow,
  isRowPresent,
  viewRow,
  writeRowRegister,
} from "@georep/crdt";
import type { LocalContext, RowState } from "@georep/crdt";
import { databasePropertyParameters, propertyConfig } from "@georep/crdt/testing";
import type { InstalledDb } from "./fixtures.ts";
import { installedDatabase, ownComponents, userAndVisible } from "./fixtures.ts";

/** Random plain-SQL workloads against the real triggers: the model is the ground truth. */
type Op =
  | { kind: "insert"; cam: number; n: number }
  | { kind: "upsert"; cam: number; n: number }
  | { kind: "increment"; cam: number; n: number }
  | { kind: "status"; cam: number; value: string }
  | { kind: "delete"; cam: number };

const cam = fc.integer({ min: 0, max: 3 });
const amount = fc.integer({ min: 0, max: 50 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), cam, n: amount }),
  fc.record({ kind: fc.constant("upsert" as const), cam, n: amount }),
  fc.record({ kind: fc.constant("increment" as const), cam, n: amount }),
  fc.record({
    kind: fc.constant("status" as const),
    cam,
    value: fc.constantFrom("ok", "degraded", "offline"),
  }),
  fc.record({ kind: fc.constant("delete" as const), cam }),
);

function sqlOf(op: Op, run: number): string {
  const key = `'r${run}-cam-${op.cam}'`;
  const bucket = "'2026-01-01 10:00+00'";
  switch (op.kind) {
    case "insert":
      return `INSERT INTO counting_results (camera_id, bucket, people_in) VALUES (${key}, ${bucket}, ${op.n}) ON CONFLICT DO NOTHING`;
    case "upsert":
      return `INSERT INTO counting_results (camera_id, bucket, people_in) VALUES (${key}, ${bucket}, ${op.n}) ON CONFLICT (camera_id, bucket) DO UPDATE SET people_in = counting_results.people_in + excluded.people_in`;
    case "increment":
      return `UPDATE counting_results SET people_in = people_in + ${op.n} WHERE camera_id = ${key}`;
    case "status":
      return `UPDATE counting_results SET status = '${op.value}' WHERE camera_id = ${key}`;
    case "delete":
      return `DELETE FROM counting_results WHERE camera_id = ${key}`;
  }
}

/**
 * The model is the CRDT core itself: each op as the core's row operations (what the capture
 * trigger must implement), so the trigger is checked against the one definition of a row.
 */
const COUNTER = "people_in";
function apply(rows: Map<number, RowState>, op: Op, ctx: LocalContext): void {
  const row = rows.get(op.cam) ?? emptyRow();
  const live = isRowPresent(row);
  const inserted = (n: number): RowState =>
    incrementRowCounter(insertRow(row, { status: null }, ctx), COUNTER, ctx.region, n);
  switch (op.kind) {
    case "insert":
      if (!live) rows.set(op.cam, inserted(op.n));
      return;
    case "upsert":
      rows.set(op.cam, live ? incrementRowCounter(row, COUNTER, ctx.region, op.n) : inserted(op.n));
      return;
    case "increment":
      if (live) rows.set(op.cam, incrementRowCounter(row, COUNTER, ctx.region, op.n));
      return;
    case "status":
      if (live) rows.set(op.cam, writeRowRegister(row, "status", op.value, ctx));
      return;
    case "delete":
      rows.set(op.cam, deleteRow(row, ctx));
      return;
  }
}

describe("random SQL workloads keep counters equal to the sum of their components", () => {
  let db: InstalledDb;
  beforeAll(async () => {
    db = await installedDatabase("workload");
  });
  afterAll(async () => db.close());

  it("matches the model for random sequences, split over concurrent sessions", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        run += 1;
        const model = new Map<number, RowState>();
        // Ops on one camera stay in order (one session per camera); cameras interleave freely.
        const byCam = new Map<number, Op[]>();
        for (const op of ops) byCam.set(op.cam, [...(byCam.get(op.cam) ?? []), op]);
        await Promise.all(
          [...byCam.values()].map(async (camOps) => {
            const client = await db.pool.connect();
            try {
              for (const op of camOps) await client.query(sqlOf(op, run));
            } finally {
              client.release();
            }
          }),
        );
        const ctx: LocalContext = {
          region: "us-east",
          hlc: createHlc({ wallClock: Date.now, maxForwardSkewMs: 60_000 }),
        };
        for (const op of ops) apply(model, op, ctx);
        const { user, visible } = await userAndVisible(db.pool);
        expect(visible).toEqual(user);
        const own = await ownComponents(db.pool, "us-east");
        for (const [c, row] of model) {
          const key = `r${run}-cam-${c}@10`;
          const counter = row.counters[COUNTER];
          const component = counter?.type === "gcounter" ? componentOf(counter, "us-east") : 0n;
          const view = viewRow(row);
          // An insert after a delete starts our share over (a new lifetime), so a present row's
          // own component is what the model counted since that delete's base.
          const base = row.deleted?.base[COUNTER];
          const since = base?.type === "gcounter" ? componentOf(base, "us-east") : 0n;
          if (view.present) expect(own.get(key) ?? 0n, key).toBe(component - since);
          const found = user.find((u) => u.key === key);
          expect(found && { n: found.people_in, status: found.status }, key).toEqual(
            view.present
              ? {
                  n: String(view.counters[COUNTER] ?? 0n),
                  status: view.registers["status"] ?? null,
                }
              : undefined,
          );
        }
      }),
      {
        ...databasePropertyParameters(propertyConfig(process.env, 25)),
        verbose: fc.VerbosityLevel.Verbose,
      },
    );
  });

  it("loses no increment when sessions hammer the same row concurrently", async () => {
    await db.pool.query(
      "INSERT INTO counting_results (camera_id, bucket) VALUES ('hot', '2026-01-01 10:00+00')",
    );
    const sessions = 5;
    const perSession = 40;
    await Promise.all(
      Array.from({ length: sessions }, async (_, s) => {
        const client = await db.pool.connect();
        try {
          for (let i = 0; i < perSession; i++) {
            await client.query(
              `UPDATE counting_results SET people_in = people_in + ${s + 1} WHERE camera_id = 'hot'`,
            );
          }
        } finally {
          client.release();
        }
      }),
    );
    const expected = perSession * ((sessions * (sessions + 1)) / 2);
    const own = await ownComponents(db.pool, "us-east");
    expect(own.get("hot@10")).toBe(BigInt(expected));
    const { rows } = await db.pool.query(
      "SELECT people_in::int FROM counting_results WHERE camera_id = 'hot'",
    );
    expect(rows).toEqual([{ people_in: expected }]);
  });
});
