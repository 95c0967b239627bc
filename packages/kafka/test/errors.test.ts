import { describe, expect, it } from "vitest";
import { KafkaJSConnectionError, KafkaJSNonRetriableError, logLevel } from "kafkajs";
import { createLogger } from "@georep/observability";
import { Writable } from "node:stream";
import { KafkaError, toKafkaError } from "../src/errors.ts";
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
