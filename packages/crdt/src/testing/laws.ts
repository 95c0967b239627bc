import fc from "fast-check";
import type { CrdtLaws } from "./crdt-laws.ts";
import { structuralEqual } from "./equal.ts";
import { simulateNetwork, networkScenario } from "./network.ts";

export type LawName =
  | "commutativity"
  | "associativity"
  | "idempotence"
  | "inflation"
  | "delta"
  | "convergence under shuffled duplicated delivery"
  | "convergence through a lossy partitioned network";

/** How one replica receives a batch of updates: a permutation (sort keys) plus duplicates. */
const deliveryOrder = fc.record({
  keys: fc.array(fc.nat(100), { maxLength: 8 }),
  dups: fc.array(fc.nat(), { maxLength: 8 }),
});

/** Every update at least once, in the order `keys` sorts them, with `dups` re-delivered anywhere. */
function deliver<S>(
  updates: readonly S[],
  order: { keys: readonly number[]; dups: readonly number[] },
): S[] {
  const sequence = updates
    .map((_u, i) => i)
    .sort((i, j) => (order.keys[i] ?? i) - (order.keys[j] ?? j) || i - j);
  for (const d of order.dups) sequence.splice(d % (sequence.length + 1), 0, d % updates.length);
  return sequence.map((i) => updates[i] as S);
}

/** The laws as fast-check properties, by name (the delta law only when `delta` is given). */
export function lawProperties<S, V, Op>(
  laws: CrdtLaws<S, V, Op>,
): Map<LawName, fc.IProperty<[unknown, ...unknown[]]>> {
  const { arbitrary: arb, merge, equals, leq, view } = laws;
  const viewEq = laws.viewEquals ?? structuralEqual;
  const same = (x: S, y: S): boolean => equals(x, y) && viewEq(view(x), view(y));
  const props = new Map<LawName, fc.IProperty<[unknown, ...unknown[]]>>();
  const add = <Ts extends [unknown, ...unknown[]]>(name: LawName, p: fc.IProperty<Ts>): void => {
    props.set(name, p);
  };

  add(
    "commutativity",
    fc.property(arb, arb, (a, b) => same(merge(a, b), merge(b, a))),
  );
  add(
    "associativity",
    fc.property(arb, arb, arb, (a, b, c) => same(merge(merge(a, b), c), merge(a, merge(b, c)))),
  );
  add(
    "idempotence",
    fc.property(
      arb,
      arb,
      (a, b) => same(merge(a, a), a) && same(merge(merge(a, b), b), merge(a, b)),
    ),
  );
  add(
    "inflation",
    fc.property(
      arb,
      arb,
      (a, b) => leq(a, merge(a, b)) && leq(b, merge(a, b)) && leq(laws.empty(), a),
    ),
  );
  const delta = laws.delta;
  if (delta !== undefined) {
    add(
      "delta",
      fc.property(arb, arb, arb, (from, to, other) => {
        const d = delta(from, to);
        const ahead = merge(from, other); // any state >= from may receive the delta
        return (
          same(merge(from, d), merge(from, to)) &&
          same(merge(ahead, d), merge(ahead, to)) &&
          leq(d, merge(from, to))
        );
      }),
    );
  }
  add(
    "convergence under shuffled duplicated delivery",
    fc.property(
      fc.array(arb, { minLength: 1, maxLength: 8 }),
      fc.array(deliveryOrder, { minLength: 3, maxLength: 5 }),
      (updates, orders) => {
        const states = orders.map((order) => deliver(updates, order).reduce(merge, laws.empty()));
        const first = states[0] as S;
        return states.every((s) => same(s, first));
      },
    ),
  );
  add(
    "convergence through a lossy partitioned network",
    fc.property(networkScenario(laws.op), (scenario) => simulateNetwork(laws, scenario).converged),
  );
  return props;
}
