import fc from "fast-check";
import { createHlc } from "../hlc.ts";
import type { Hlc } from "../hlc.ts";
import { structuralEqual } from "./equal.ts";
import type { CrdtLaws } from "./crdt-laws.ts";

// A seeded random network between replicas, in the spirit of yjs' tests. Every random choice is
// part of the generated scenario, so fast-check's seed replays it and shrinks it. Replicas apply
// local updates (with wall clocks that drift and step back), send full states or deltas; the
// network drops, duplicates, reorders and holds messages; partitions cut replicas off. At the
// end the partitions heal, every replica sends its state to every other, stale messages still in
// flight arrive late, and all replicas must hold equal states and equal views.

export type NetworkStep<Op> =
  | { readonly kind: "op"; readonly replica: number; readonly op: Op }
  | { readonly kind: "tick"; readonly replica: number; readonly ms: number }
  | {
      readonly kind: "send";
      readonly from: number;
      readonly to: number;
      readonly mode: "state" | "delta";
    }
  | {
      readonly kind: "deliver";
      readonly pick: number;
      readonly fate: "deliver" | "duplicate" | "drop";
    }
  | { readonly kind: "partition"; readonly replica: number; readonly isolated: boolean };

export type NetworkScenario<Op> = {
  readonly replicas: number;
  /** Initial wall-clock offset of each replica (clock skew between regions). */
  readonly skewsMs: readonly number[];
  readonly steps: readonly NetworkStep<Op>[];
};

export const NETWORK_REGIONS = ["us-east", "eu-west", "ap-south", "sa-east", "af-south"] as const;
const EPOCH_MS = 1_700_000_000_000;

export function networkScenario<Op>(op: fc.Arbitrary<Op>): fc.Arbitrary<NetworkScenario<Op>> {
  const replica = fc.nat(NETWORK_REGIONS.length - 1);
  const step: fc.Arbitrary<NetworkStep<Op>> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("op" as const), replica, op }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("tick" as const),
        replica,
        ms: fc.integer({ min: -2000, max: 5000 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("send" as const),
        from: replica,
        to: replica,
        mode: fc.constantFrom("state" as const, "delta" as const),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("deliver" as const),
        pick: fc.nat(),
        fate: fc.constantFrom("deliver" as const, "duplicate" as const, "drop" as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("partition" as const),
        replica,
        isolated: fc.boolean(),
      }),
    },
  );
  return fc.record({
    replicas: fc.integer({ min: 3, max: NETWORK_REGIONS.length }),
    skewsMs: fc.array(fc.integer({ min: -60_000, max: 60_000 }), {
      minLength: NETWORK_REGIONS.length,
      maxLength: NETWORK_REGIONS.length,
    }),
    steps: fc.array(step, { maxLength: 60 }),
  });
}

type Message<S> = { readonly from: number; readonly to: number; readonly payload: S };

export type NetworkOutcome<S> = { readonly converged: boolean; readonly states: readonly S[] };

export function simulateNetwork<S, V, Op>(
  laws: CrdtLaws<S, V, Op>,
  scenario: NetworkScenario<Op>,
): NetworkOutcome<S> {
  const n = scenario.replicas;
  const ids = Array.from({ length: n }, (_v, i) => i);
  const walls = ids.map((i) => EPOCH_MS + (scenario.skewsMs[i] ?? 0));
  const hlcs: Hlc[] = ids.map((i) =>
    createHlc({ wallClock: () => walls[i] ?? EPOCH_MS, maxForwardSkewMs: Number.MAX_SAFE_INTEGER }),
  );
  const states: S[] = ids.map(() => laws.empty());
  // known[i][j]: a state replica i knows replica j holds (j only grows): the base of i's deltas to j.
  const known: S[][] = ids.map(() => ids.map(() => laws.empty()));
  const isolated = new Set<number>();
  let inFlight: Message<S>[] = [];
  const applied: Op[] = [];

  const receive = (m: Message<S>): void => {
    states[m.to] = laws.merge(states[m.to] as S, m.payload);
    const row = known[m.to] as S[];
    row[m.from] = laws.merge(row[m.from] as S, m.payload);
  };
  const send = (from: number, to: number, mode: "state" | "delta"): void => {
    const s = states[from] as S;
    const payload =
      mode === "state" || laws.delta === undefined
        ? s
        : laws.delta((known[from] as S[])[to] as S, s);
    inFlight.push({ from, to, payload });
  };

  for (const step of scenario.steps) {
    switch (step.kind) {
      case "op": {
        const i = step.replica % n;
        states[i] = laws.apply(states[i] as S, step.op, {
          region: NETWORK_REGIONS[i] as string,
          hlc: hlcs[i] as Hlc,
        });
        applied.push(step.op);
        break;
      }
      case "tick":
        walls[step.replica % n] = Math.max(0, (walls[step.replica % n] ?? EPOCH_MS) + step.ms);
        break;
      case "send": {
        const [from, to] = [step.from % n, step.to % n];
        if (from !== to && !isolated.has(from) && !isolated.has(to)) send(from, to, step.mode);
        break;
      }
      case "deliver": {
        if (inFlight.length === 0) break;
        const k = step.pick % inFlight.length;
        const m = inFlight[k] as Message<S>;
        if (isolated.has(m.to) || isolated.has(m.from)) break; // held until the partition heals
        if (step.fate !== "duplicate") inFlight = inFlight.filter((_m, j) => j !== k);
        if (step.fate !== "drop") receive(m);
        break;
      }
      case "partition":
        if (step.isolated) isolated.add(step.replica % n);
        else isolated.delete(step.replica % n);
        break;
    }
  }

  // Heal, full exchange (in order: the last sender already holds everything), then late arrivals.
  for (const from of ids)
    for (const to of ids) if (from !== to) receive({ from, to, payload: states[from] as S });
  for (const m of inFlight) receive(m);

  const viewEq = laws.viewEquals ?? structuralEqual;
  const first = states[0] as S;
  const same = states.every((s) => laws.equals(s, first) && viewEq(laws.view(s), laws.view(first)));
  const truth =
    laws.expectedView === undefined || viewEq(laws.view(first), laws.expectedView(applied));
  return { converged: same && truth, states };
}
