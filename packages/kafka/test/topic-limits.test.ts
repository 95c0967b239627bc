import { describe, expect, it } from "vitest";
import type { Admin } from "kafkajs";
import { KafkaError } from "../src/errors.ts";
import { raiseMessageLimits } from "../src/topic-limits.ts";

interface Entry {
  configName: string;
  configValue: string;
  configSource: number;
}

/** An admin whose topics hold `configs`; alterConfigs is recorded, or fails with `alterError`. */
function fakeAdmin(configs: Record<string, Entry[]>, alterError?: Error) {
  const alters: unknown[] = [];
  const admin = {
    describeConfigs: (r: { resources: Array<{ name: string }> }) =>
      Promise.resolve({
        resources: r.resources.map((x) => ({
          resourceName: x.name,
          configEntries: configs[x.name] ?? [],
        })),
      }),
    alterConfigs: (request: unknown) => {
      if (alterError !== undefined) return Promise.reject(alterError);
      alters.push(request);
      return Promise.resolve();
    },
  };
  return { admin: admin as unknown as Admin, alters };
}

const limit = (value: string, source: number): Entry => ({
  configName: "max.message.bytes",
  configValue: value,
  configSource: source,
});

describe("raiseMessageLimits", () => {
  it("raises a topic below the limit and keeps the topic's own settings", async () => {
    const { admin, alters } = fakeAdmin({
      "georep.us-east": [
        limit("1048588", 5),
        { configName: "retention.ms", configValue: "86400000", configSource: 1 },
        { configName: "min.insync.replicas", configValue: "1", configSource: 3 },
      ],
    });
    await raiseMessageLimits(admin, [{ topic: "georep.us-east", maxMessageBytes: 9_437_184 }]);
    expect(alters).toEqual([
      {
        validateOnly: false,
        resources: [
          {
            type: 2,
            name: "georep.us-east",
            configEntries: [
              { name: "retention.ms", value: "86400000" },
              { name: "max.message.bytes", value: "9437184" },
            ],
          },
        ],
      },
    ]);
  });

  it("leaves a topic at or above the limit, and topics without one, alone", async () => {
    const { admin, alters } = fakeAdmin({ a: [limit("9437184", 1)], b: [limit("20000000", 1)] });
    await raiseMessageLimits(admin, [
      { topic: "a", maxMessageBytes: 9_437_184 },
      { topic: "b", maxMessageBytes: 9_437_184 },
      { topic: "c" },
    ]);
    expect(alters).toEqual([]);
  });

  it("names the topic, both limits and the command when raising fails", async () => {
    const { admin } = fakeAdmin({ t: [limit("1048588", 5)] }, new Error("not authorized"));
    const error = await raiseMessageLimits(admin, [
      { topic: "t", maxMessageBytes: 9_437_184 },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as Error).message).toBe(
      "topic t accepts messages up to 1048588 bytes (max.message.bytes) and georep needs 9437184; raising it failed. Raise it by hand: kafka-configs.sh --alter --entity-type topics --entity-name t --add-config max.message.bytes=9437184",
    );
  });
});
