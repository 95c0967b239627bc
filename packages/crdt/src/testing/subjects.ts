import fc from "fast-check";
import {
  emptyGCounter,
  equalGCounter,
  incrementGCounter,
  leqGCounter,
  mergeGCounter,
  valueOfGCounter,
} from "../gcounter.ts";
import type { GCounter } from "../gcounter.ts";
import { equalLww, leqLww, mergeLww, writeLww } from "../lww-register.ts";
import type { LwwRegister, RegisterValue } from "../lww-register.ts";
import {
  addPNCounter,
  emptyPNCounter,
  equalPNCounter,
  leqPNCounter,
  mergePNCounter,
  valueOfPNCounter,
} from "../pncounter.ts";
import type { PNCounter } from "../pncounter.ts";
import { deltaGCounter, deltaPNCounter } from "../delta.ts";
import { gcounterArb, lwwArb, pncounterArb } from "./arbitraries.ts";
import type { CrdtLaws } from "./crdt-laws.ts";

// The counters and the register, described for the law harness with their real functions (rows: row-subject.ts).

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
export const amount = fc.oneof(
  fc.bigInt({ min: 0n, max: 9n }),
  fc.bigInt({ min: 0n, max: 2n ** 40n }),
);

export const gcounterLaws: CrdtLaws<GCounter, bigint, bigint> = {
  name: "gcounter",
  arbitrary: gcounterArb,
  empty: emptyGCounter,
  merge: mergeGCounter,
  equals: equalGCounter,
  leq: leqGCounter,
  view: valueOfGCounter,
  delta: deltaGCounter,
  op: amount,
  apply: (s, by, { region }) => incrementGCounter(s, region, by),
  expectedView: sum,
};

export const pncounterLaws: CrdtLaws<PNCounter, bigint, bigint> = {
  name: "pncounter",
  arbitrary: pncounterArb,
  empty: emptyPNCounter,
  merge: mergePNCounter,
  equals: equalPNCounter,
  leq: leqPNCounter,
  view: valueOfPNCounter,
  delta: deltaPNCounter,
  op: fc.tuple(amount, fc.boolean()).map(([n, negative]) => (negative ? -n : n)),
  apply: (s, by, { region }) => addPNCounter(s, region, by),
  expectedView: sum,
};

/** A register that may not have been written yet (undefined is the bottom). */
type OptionalLww = LwwRegister | undefined;
export const registerValueArb: fc.Arbitrary<RegisterValue> = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

export const lwwLaws: CrdtLaws<OptionalLww, RegisterValue | undefined, RegisterValue> = {
  name: "lww-register",
  arbitrary: fc.option(lwwArb(), { nil: undefined }),
  empty: () => undefined,
  merge: (a, b) => (a === undefined ? b : b === undefined ? a : mergeLww(a, b)),
  equals: (a, b) => (a === undefined || b === undefined ? a === b : equalLww(a, b)),
  leq: (a, b) => a === undefined || (b !== undefined && leqLww(a, b)),
  view: (s) => s?.value,
  op: registerValueArb,
  apply: (s, value, { hlc, region }) => writeLww(s, value, hlc, region),
};
