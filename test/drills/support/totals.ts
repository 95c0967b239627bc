// Per-key counter totals (`camera|bucket` -> the four counters): ground truth from the writers,
// what a region's user table holds, and what a region holds of one replica's components.
import type pg from "pg";
import type { Totals } from "@georep/camera-service";

export type KeyTotals = Map<string, Totals>;

const COUNTERS = ["peopleIn", "peopleOut", "vehicleIn", "vehicleOut"] as const;

const zero = (): Totals => ({ peopleIn: 0n, peopleOut: 0n, vehicleIn: 0n, vehicleOut: 0n });

/** The sum of several per-key totals. */
export function addTotals(...parts: ReadonlyArray<ReadonlyMap<string, Totals>>): KeyTotals {
  const out: KeyTotals = new Map();
  for (const part of parts) {
    for (const [key, t] of part) {
      const acc = out.get(key) ?? zero();
      for (const c of COUNTERS) acc[c] += t[c];
      out.set(key, acc);
    }
  }
  return out;
}

/** Per key and counter, the greater of two component sets (a state-based max-merge). */
export function maxTotals(
  a: ReadonlyMap<string, Totals>,
  b: ReadonlyMap<string, Totals>,
): KeyTotals {
  const out: KeyTotals = new Map();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? zero();
    const y = b.get(key) ?? zero();
    const m = zero();
    for (const c of COUNTERS) m[c] = x[c] > y[c] ? x[c] : y[c];
    out.set(key, m);
  }
  return out;
}

/** Per key and counter, how much `a` holds above `b` (never negative). */
export function excessOver(a: ReadonlyMap<string, Totals>, b: ReadonlyMap<string, Totals>): Totals {
  const out = zero();
  for (const [key, x] of a) {
    const y = b.get(key) ?? zero();
    for (const c of COUNTERS) if (x[c] > y[c]) out[c] += x[c] - y[c];
  }
  return out;
}

/** The sum over every key. */
export function grandTotal(t: ReadonlyMap<string, Totals>): Totals {
  const out = zero();
  for (const v of t.values()) for (const c of COUNTERS) out[c] += v[c];
  return out;
}

/** Keys whose totals differ between two sets, each as `key: want -> got`, at most `limit`. */
export function totalsDiff(
  want: ReadonlyMap<string, Totals>,
  got: ReadonlyMap<string, Totals>,
  limit = 5,
): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...want.keys(), ...got.keys()])].sort()) {
    const w = want.get(key) ?? zero();
    const g = got.get(key) ?? zero();
    if (COUNTERS.every((c) => w[c] === g[c])) continue;
    if (out.length < limit) out.push(`${key}: want ${show(w)}, got ${show(g)}`);
    else return [...out, "…"];
  }
  return out;
}

export function sameTotals(a: Totals, b: Totals): boolean {
  return COUNTERS.every((c) => a[c] === b[c]);
}

export function show(t: Totals): string {
  return `in ${t.peopleIn}/out ${t.peopleOut}/veh ${t.vehicleIn}+${t.vehicleOut}`;
}

interface CounterRow {
  camera_id: string;
  bucket: Date;
  people_in: string;
  people_out: string;
  vehicle_in: string;
  vehicle_out: string;
}

function fromRows(rows: readonly CounterRow[]): KeyTotals {
  return new Map(
    rows.map((r) => [
      `${r.camera_id}|${r.bucket.toISOString()}`,
      {
        peopleIn: BigInt(r.people_in),
        peopleOut: BigInt(r.people_out),
        vehicleIn: BigInt(r.vehicle_in),
        vehicleOut: BigInt(r.vehicle_out),
      },
    ]),
  );
}

/** What the region's users read: counting_results, per key. */
export async function userTotals(q: pg.Pool | pg.ClientBase): Promise<KeyTotals> {
  const { rows } = await q.query<CounterRow>(
    `SELECT camera_id, bucket, people_in::text AS people_in, people_out::text AS people_out,
            vehicle_in::text AS vehicle_in, vehicle_out::text AS vehicle_out
       FROM public.counting_results`,
  );
  return fromRows(rows);
}

/** The sum of every counter of counting_results (cheap, for a first check). */
export async function userGrandTotal(q: pg.Pool | pg.ClientBase): Promise<Totals> {
  const { rows } = await q.query<Omit<CounterRow, "camera_id" | "bucket">>(
    `SELECT coalesce(sum(people_in), 0)::text AS people_in, coalesce(sum(people_out), 0)::text AS people_out,
            coalesce(sum(vehicle_in), 0)::text AS vehicle_in, coalesce(sum(vehicle_out), 0)::text AS vehicle_out
       FROM public.counting_results`,
  );
  const r = rows[0];
  return {
    peopleIn: BigInt(r?.people_in ?? "0"),
    peopleOut: BigInt(r?.people_out ?? "0"),
    vehicleIn: BigInt(r?.vehicle_in ?? "0"),
    vehicleOut: BigInt(r?.vehicle_out ?? "0"),
  };
}

/** The components this database holds for one replica (a state row's `origin`), per key. */
export async function replicaComponents(
  q: pg.Pool | pg.ClientBase,
  replica: string,
): Promise<KeyTotals> {
  const { rows } = await q.query<CounterRow>(
    `SELECT camera_id, bucket, people_in__p::text AS people_in, people_out__p::text AS people_out,
            vehicle_in__p::text AS vehicle_in, vehicle_out__p::text AS vehicle_out
       FROM georep."state__public__counting_results" WHERE origin = $1`,
    [replica],
  );
  return fromRows(rows);
}
