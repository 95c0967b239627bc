import { describe, expect, it } from "vitest";
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  logLevel,
} from "kafkajs";
import { createLogger } from "@georep/observability";
import { Writable } from "node:stream";
import { KafkaError, isRetriable, toKafkaError } from "../src/errors.ts";
import { pinoLogCreator } from "../src/log-creator.ts";

describe("KafkaError", () => {
  it("keeps kafkajs' retriable flag, the cause and the topic/partition", () => {
    const cause = Object.assign(new KafkaJSConnectionError("Connection refused"), {
      topic: "georep.us-east",
      partition: 3,
    });
    const e = toKafkaError(cause, { operation: "send" });
    expect(e).toBeInstanceOf(KafkaError);
    expect(e.retriable).toBe(true);
    expect(e.cause).toBe(cause);
    expect(e.context).toEqual({ operation: "send", topic: "georep.us-east", partition: 3 });
    expect(
      toKafkaError(new KafkaJSNonRetriableError("nope"), { operation: "send" }).retriable,
    ).toBe(false);
  });

  it("is retriable when kafkajs ran out of retries against a broker that did not answer", () => {
    // What a send ends with while a region's cluster is down: the shipper must keep retrying it
    // as a transient failure, not report it as a refusal that needs a fix.
    const down = new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:19296"),
      { retryCount: 8, retryTime: 5000 },
    );
    expect(down.retriable).toBe(false);
    expect(toKafkaError(down, { operation: "send" }).retriable).toBe(true);
    const other = new KafkaJSNumberOfRetriesExceeded(new KafkaJSNonRetriableError("nope"), {
      retryCount: 8,
      retryTime: 5000,
    });
    expect(toKafkaError(other, { operation: "send" }).retriable).toBe(false);
  });

  it("isRetriable: only a KafkaError that a later attempt can get past", () => {
    const down = toKafkaError(new KafkaJSConnectionError("Connection refused"), {
      operation: "send",
    });
    const refused = toKafkaError(new KafkaJSNonRetriableError("nope"), { operation: "send" });
    expect(isRetriable(down)).toBe(true);
    expect(isRetriable(refused)).toBe(false);
    // kafkajs' own error, not yet mapped, and anything else: not a reason to wait.
    expect(isRetriable(new KafkaJSConnectionError("Connection refused"))).toBe(false);
    expect(isRetriable(new Error("boom"))).toBe(false);
  });
});

describe("kafkajs log lines", () => {
  it("go to our pino logger, errors downgraded to warn", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pinoLogCreator(createLogger({ name: "t", level: "debug", destination: sink }))(
      logLevel.DEBUG,
    );
    log({
      namespace: "Producer",
      level: logLevel.ERROR,
      label: "ERROR",
      log: { timestamp: "t", message: "leader moved", broker: "b:1" },
    });
    const line = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(line["level"]).toBe(40);
    expect(line["msg"]).toBe("leader moved");
    expect(line["namespace"]).toBe("Producer");
    expect(line["broker"]).toBe("b:1");
  });
});
