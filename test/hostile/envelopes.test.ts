// Hostile message values through the merger's real decode and routing (`routeMessage`, which
// runs the contract's decodeEnvelope): it never throws and never stalls, and every message is
// either an envelope (its rows of unknown tables or columns set aside, each with a detail) or a
// dead letter with a known reason and a detail saying what is wrong.
// The merge of what it accepts is test/hostile/merge.int.test.ts.
import fc from "fast-check";
import { expect, it } from "vitest";
import { propertyConfig, propertyParameters } from "@georep/crdt/testing";
import { routeMessage } from "@georep/merger";
import type { Routed } from "@georep/merger";
import {
  DEAD_LETTER_REASONS,
  ORIGIN_TOPIC,
  ZONE_TOPIC,
  describeMessage,
  hostileMessageArb,
  routingContext,
} from "./envelope-cases.ts";

/** One message must be routed well within this (a slow regex or a deep recursion would not be). */
const MAX_MS_PER_MESSAGE = 2_000;

it("routes every hostile message value to an envelope or a dead letter with a reason", () => {
  const config = propertyConfig(process.env, 200);
  const { seed } = config;
  const ctx = routingContext();
  const outcomes = new Map<string, number>();
  let tried = 0;
  fc.assert(
    fc.property(hostileMessageArb(), fc.boolean(), (message, onZoneTopic) => {
      tried++;
      const started = performance.now();
      let routed: Routed;
      try {
        routed = routeMessage(onZoneTopic ? ZONE_TOPIC : ORIGIN_TOPIC, message.value, ctx);
      } catch (error) {
        throw new Error(`routeMessage threw on ${describeMessage(message)}: ${String(error)}`, {
          cause: error,
        });
      }
      const ms = performance.now() - started;
      expect(ms, `routing took ${ms} ms: ${describeMessage(message)}`).toBeLessThan(
        MAX_MS_PER_MESSAGE,
      );
      const outcome = routed.kind === "dead" ? routed.reason : "envelope";
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (routed.kind === "envelope") {
        // Rows of a table or column this region lacks are set aside, each with its reason.
        for (const m of routed.mismatched)
          expect(m.detail.trim(), describeMessage(message)).not.toBe("");
        return;
      }
      expect(DEAD_LETTER_REASONS.has(routed.reason), describeMessage(message)).toBe(true);
      expect(routed.detail.trim(), describeMessage(message)).not.toBe("");
    }),
    propertyParameters(config),
  );
  console.log(
    `hostile envelopes: ${tried} cases tried (seed ${seed}, replay with GEOREP_SEED=${seed}); ` +
      `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
  );
  // The generator must reach past decoding, or the merge property would have nothing to merge.
  expect(outcomes.get("envelope") ?? 0).toBeGreaterThan(0);
});
