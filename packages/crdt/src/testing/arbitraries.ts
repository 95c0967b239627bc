import fc from "fast-check";
import type { Counter } from "../counter.ts";
import { gcounterFrom } from "../gcounter.ts";
import type { GCounter } from "../gcounter.ts";
import type { ColumnName, RegionId } from "../ids.ts";
import type { LwwRegister, RegisterValue } from "../lww-register.ts";
import { pncounterFrom } from "../pncounter.ts";
import type { PNCounter } from "../pncounter.ts";
import type { RegisterColumn } from "../register-column.ts";
import { withStamps } from "../row.ts";
import type { RowState, Tombstone } from "../row.ts";
import { regionOfReplica } from "../replica.ts";
import { NETWORK_REGIONS } from "./network.ts";

// Arbitrary *reachable* states. One invariant matters: a (stamp, region) pair identifies one
// write, because a region's HLC never repeats a stamp. Independently generated states would
// break it (two different values under one stamp), so everything a write carries (a register's
// value, a tombstone's base) is derived from its (stamp, region) here.

export const regionArb: fc.Arbitrary<RegionId> = fc.constantFrom(...NETWORK_REGIONS);

/** Small values collide often (exercising ties); large ones pass 2^53 (exercising exactness). */
export const componentArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 20n }),
  fc.bigInt({ min: 0n, max: 2n ** 62n }),
);

/** Stamps from a small range so that equal stamps (tie broken by region) are common. */
export const stampArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 12n }),
  fc.bigInt({ min: 0n, max: 2n ** 62n }),
);

export const gcounterArb: fc.Arbitrary<GCounter> = fc
  .dictionary(regionArb, componentArb, { maxKeys: 5 })
  .map((d) => gcounterFrom(d));
export const pncounterArb: fc.Arbitrary<PNCounter> = fc
  .tuple(gcounterArb, gcounterArb)
  .map(([p, n]) => pncounterFrom(p, n));

/** A deterministic hash, so derived payloads are a pure function of the write's identity. */
export function hash(...parts: readonly (string | bigint)[]): number {
  let h = 2166136261;
  for (const ch of parts.join("|")) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** The value written under (column, stamp, region). The `home` column holds region ids (or junk). */
export function derivedValue(
  column: ColumnName,
  stamp: bigint,
  region: RegionId,
  homes: readonly RegionId[] = NETWORK_REGIONS,
): RegisterValue {
  const h = hash(column, stamp, region);
  if (column === HOME_COLUMN) return homes[h % (homes.length + 1)] ?? "not a region!";
  const choices: RegisterValue[] = [
    `v${h % 7}`,
    h % 100,
    h % 2 === 0,
    null,
    "",
    h % 3 === 0 ? 1.5 : -0,
  ];
  return choices[h % choices.length] ?? null;
}

export const lwwArb = (column: ColumnName = "label"): fc.Arbitrary<LwwRegister> =>
  fc
    .record({ stamp: stampArb, region: regionArb })
    .map(({ stamp, region }) => ({ value: derivedValue(column, stamp, region), stamp, region }));

export const registerColumnArb = (column: ColumnName): fc.Arbitrary<RegisterColumn> =>
  fc.dictionary(regionArb, stampArb, { maxKeys: 5 }).map((d) => {
    const out: Record<RegionId, LwwRegister> = {};
    for (const [region, stamp] of Object.entries(d))
      out[region] = { value: derivedValue(column, stamp, region), stamp, region };
    return out;
  });

/** The counter and register columns of the test table. */
export const HOME_COLUMN = "home";
export const G_COLUMNS = ["people_in", "people_out"] as const;
export const PN_COLUMNS = ["occupancy"] as const;
export const REGISTER_COLUMNS = ["label", "site", HOME_COLUMN] as const;

/** Which replicas write, and how large components get (a SQL bigint sum must not overflow). */
export interface RowArbOptions {
  readonly replicas: readonly RegionId[];
  readonly maxComponent?: bigint;
}

/** The base a delete stamped (stamp, region) observed: derived, like every write's payload. */
export function derivedBase(
  stamp: bigint,
  region: RegionId,
  replicas: readonly RegionId[] = NETWORK_REGIONS,
): Record<ColumnName, Counter> {
  const counts = (column: string): GCounter =>
    gcounterFrom(replicas.map((r) => [r, BigInt(hash(column, stamp, region, r) % 25)] as const));
  const base: Record<ColumnName, Counter> = {};
  for (const column of G_COLUMNS) base[column] = counts(column);
  for (const column of PN_COLUMNS)
    base[column] = pncounterFrom(counts(`${column}+`), counts(`${column}-`));
  return base;
}

const optionalColumns = <T>(
  columns: readonly string[],
  arb: (c: string) => fc.Arbitrary<T>,
): fc.Arbitrary<Record<ColumnName, T>> =>
  fc.tuple(...columns.map((c) => fc.option(arb(c), { nil: undefined }))).map((values) => {
    const out: Record<ColumnName, T> = {};
    values.forEach((v, i) => {
      if (v !== undefined) out[columns[i] as string] = v;
    });
    return out;
  });

/** Reachable rows written by `replicas` (the home column names their regions). */
export function rowArbOver(options: RowArbOptions): fc.Arbitrary<RowState> {
  const replica = fc.constantFrom(...options.replicas);
  const max = options.maxComponent ?? 2n ** 62n;
  const component = fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max }));
  const gcounter = fc.dictionary(replica, component, { maxKeys: 5 }).map((d) => gcounterFrom(d));
  const pncounter = fc.tuple(gcounter, gcounter).map(([p, n]) => pncounterFrom(p, n));
  const homes = [...new Set(options.replicas.map(regionOfReplica))];
  const registerColumn = (column: ColumnName): fc.Arbitrary<RegisterColumn> =>
    fc.dictionary(replica, stampArb, { maxKeys: 5 }).map((d) => {
      const out: Record<RegionId, LwwRegister> = {};
      for (const [r, stamp] of Object.entries(d))
        out[r] = { value: derivedValue(column, stamp, r, homes), stamp, region: r };
      return out;
    });
  const stampRecord = fc.record({ stamp: stampArb, region: replica });
  return fc
    .record({
      g: optionalColumns(G_COLUMNS, () => gcounter),
      pn: optionalColumns(PN_COLUMNS, () => pncounter),
      registers: optionalColumns(REGISTER_COLUMNS, registerColumn),
      inserted: fc.option(stampRecord, { nil: undefined }),
      deleted: fc.option(stampRecord, { nil: undefined }),
    })
    .map(({ g, pn, registers, inserted, deleted }) => {
      const tombstone: Tombstone | undefined = deleted && {
        ...deleted,
        base: derivedBase(deleted.stamp, deleted.region, options.replicas),
      };
      return withStamps({ counters: { ...g, ...pn }, registers }, inserted, tombstone);
    });
}

export const rowArb: fc.Arbitrary<RowState> = rowArbOver({ replicas: NETWORK_REGIONS });
