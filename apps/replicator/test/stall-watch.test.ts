import { expect, it } from "vitest";
import { createStallWatch } from "../src/stall-watch.ts";

// /health's stall check: pending work and no progress for stallMs is a stall; idle or moving is not.
function watch(stallMs = 1_000) {
  let now = 0;
  const w = createStallWatch({ stallMs, now: () => now });
  return { w, advance: (ms: number) => (now += ms) };
}

it("reports a role whose mark stands still while work is pending, once stallMs has passed", () => {
  const { w, advance } = watch();
  w.observe({ merge: { mark: "a", pending: true } });
  advance(900);
  w.observe({ merge: { mark: "a", pending: true } });
  expect(w.stalled()).toEqual([]);
  advance(200);
  w.observe({ merge: { mark: "a", pending: true } });
  expect(w.stalled()).toEqual([{ role: "merge", forMs: 1_100 }]);
});

it("never reports an idle role, however long its mark stands still", () => {
  const { w, advance } = watch();
  for (let i = 0; i < 10; i++) {
    w.observe({ capture: { mark: "0/10", pending: false } });
    advance(500);
  }
  expect(w.stalled()).toEqual([]);
});

it("restarts the clock on progress and when work becomes pending", () => {
  const { w, advance } = watch();
  w.observe({ capture: { mark: "0/10", pending: false } });
  advance(5_000);
  w.observe({ capture: { mark: "0/10", pending: true } });
  advance(800);
  w.observe({ capture: { mark: "0/20", pending: true } });
  advance(800);
  w.observe({ capture: { mark: "0/20", pending: true } });
  expect(w.stalled()).toEqual([]);
  advance(300);
  expect(w.stalled()).toEqual([{ role: "capture", forMs: 1_100 }]);
});

it("skips roles that do not run (a merge worker has no capture)", () => {
  const { w, advance } = watch();
  w.observe({ capture: undefined, merge: { mark: "1", pending: true } });
  advance(2_000);
  expect(w.stalled().map((s) => s.role)).toEqual(["merge"]);
});
