import type fc from "fast-check";
import type { Hlc } from "../hlc.ts";
import type { RegionId } from "../ids.ts";

/** A replica as the harness drives it: its region and its (injected-clock) HLC. */
export type ReplicaContext = { readonly region: RegionId; readonly hlc: Hlc };

/**
 * Everything the law harness needs to know about a CRDT type, always its *real* functions.
 * S = state, V = resolved view (what users read), Op = a local update.
 */
export type CrdtLaws<S, V, Op> = {
  readonly name: string;
  /** Arbitrary reachable states (respecting the type's invariants, e.g. unique write stamps). */
  readonly arbitrary: fc.Arbitrary<S>;
  readonly empty: () => S;
  readonly merge: (a: S, b: S) => S;
  /** Equality of the information two states hold. */
  readonly equals: (a: S, b: S) => boolean;
  /** The semilattice order: leq(a, b) iff b holds everything a holds. */
  readonly leq: (a: S, b: S) => boolean;
  readonly view: (s: S) => V;
  /** Defaults to structural equality. */
  readonly viewEquals?: (a: V, b: V) => boolean;
  readonly delta?: (from: S, to: S) => S;
  /** Local updates, applied by replicas in the convergence scenarios. */
  readonly op: fc.Arbitrary<Op>;
  readonly apply: (s: S, op: Op, replica: ReplicaContext) => S;
  /** Ground truth for order-free types: the view all replicas must reach after `ops`. */
  readonly expectedView?: (ops: readonly Op[]) => V;
};
