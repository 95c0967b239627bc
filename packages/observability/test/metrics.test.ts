import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/index.ts";

describe("createMetrics", () => {
  it("reuses a metric registered twice under one name instead of throwing", async () => {
    const metrics = createMetrics();
    metrics.counter("georep_test_total", "help", ["origin"]).inc({ origin: "a" }, 2);
    metrics.counter("georep_test_total", "help", ["origin"]).inc({ origin: "a" }, 3);
    expect(await metrics.render()).toContain('georep_test_total{origin="a"} 5');
  });

  it("keeps registries apart", async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.gauge("georep_lag_seconds", "lag").set(4);
    expect(await two.render()).not.toContain("georep_lag_seconds");
  });
});
