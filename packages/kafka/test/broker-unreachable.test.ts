import { describe, expect, it } from "vitest";
import { isBrokerUnreachable } from "../src/broker-unreachable.ts";

/** An error shaped like kafkajs': a name and a cause. */
const kafkajsError = (name: string, cause?: unknown): Error =>
  Object.assign(new Error(name), { name, ...(cause === undefined ? {} : { cause }) });

describe("isBrokerUnreachable", () => {
  it("finds an unreachable broker anywhere in the cause chain", () => {
    const crash = kafkajsError(
      "KafkaJSNonRetriableError",
      kafkajsError("KafkaJSGroupCoordinatorNotFound", kafkajsError("KafkaJSConnectionError")),
    );
    expect(isBrokerUnreachable(crash)).toBe(true);
    expect(isBrokerUnreachable(kafkajsError("KafkaJSConnectionError"))).toBe(true);
  });

  it("leaves every other crash to the caller", () => {
    expect(isBrokerUnreachable(kafkajsError("KafkaJSNonRetriableError"))).toBe(false);
    expect(
      isBrokerUnreachable(kafkajsError("KafkaJSSASLAuthenticationError", new Error("x"))),
    ).toBe(false);
    expect(isBrokerUnreachable("boom")).toBe(false);
    const loop: { name: string; cause?: unknown } = { name: "KafkaJSError" };
    loop.cause = loop;
    expect(isBrokerUnreachable(loop)).toBe(false);
  });
});
