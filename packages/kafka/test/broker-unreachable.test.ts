import { describe, expect, it } from "vitest";
import { isBrokerUnreachable } from "../src/broker-unreachable.ts";

/** An error shaped like kafkajs': a name and a cause. */
const kafkajsError = (name: string, cause?: unknown): Error =>
  Object.assign(new Error(name), { name, ...(cause === undefined ? {} : { cause }) });

describe("isBrokerUnreachable", () => {
  it("finds an unreachable broker in the shapes kafkajs 2.2.4 crashes with", () => {
    // A crash in the runner's start, and one during a rebalance.
    expect(isBrokerUnreachable(kafkajsError("KafkaJSGroupCoordinatorNotFound"))).toBe(true);
    expect(
      isBrokerUnreachable(
        kafkajsError("KafkaJSNonRetriableError", kafkajsError("KafkaJSGroupCoordinatorNotFound")),
      ),
    ).toBe(true);
    // connect() while the broker is down.
    expect(
      isBrokerUnreachable(
        kafkajsError("KafkaJSNumberOfRetriesExceeded", kafkajsError("KafkaJSConnectionError")),
      ),
    ).toBe(true);
  });

  it("leaves every other crash to the caller", () => {
    expect(isBrokerUnreachable(kafkajsError("KafkaJSNonRetriableError"))).toBe(false);
    // Retries exhausted on something else (e.g. LEADER_NOT_AVAILABLE for good).
    expect(
      isBrokerUnreachable(
        kafkajsError("KafkaJSNumberOfRetriesExceeded", kafkajsError("KafkaJSProtocolError")),
      ),
    ).toBe(false);
    expect(
      isBrokerUnreachable(kafkajsError("KafkaJSSASLAuthenticationError", new Error("x"))),
    ).toBe(false);
    expect(isBrokerUnreachable("boom")).toBe(false);
    const loop: { name: string; cause?: unknown } = { name: "KafkaJSError" };
    loop.cause = loop;
    expect(isBrokerUnreachable(loop)).toBe(false);
  });
});
