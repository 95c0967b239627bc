import { describe, expect, it } from "vitest";
import type { Admin } from "kafkajs";
import { KafkaError } from "../src/errors.ts";
import { raiseMessageLimits } from "../src/topic-limits.ts";

interface Entry {
  configName: string;
  configValue: string;
  configSource: number;
}

interface AlterRequest {
  resources: Array<{ name: string; configEntries: Array<{ name: string; value: string }> }>;
}

/**
 * An admin whose topics hold `configs`; alterConfigs is recorded and applied, like KRaft, only
 * after `lag` further describes; or it fails with `alterError`.
 */
function fakeAdmin(
  configs: Record<string, Entry[]>,
  options: { alterError?: Error; lag?: number } = {},
) {
  const alters: unknown[] = [];
  const pending: Array<{ request: AlterRequest; due: number }> = [];
  let describes = 0;
  const admin = {
    describeConfigs: (r: { resources: Array<{ name: string }> }) => {
      describes++;
      for (const p of pending.filter((x) => x.due <= describes)) {
        pending.splice(pending.indexOf(p), 1);
        for (const res of p.request.resources)
          configs[res.name] = res.configEntries.map((e) => ({
            configName: e.name,
            configValue: e.value,
            configSource: 1,
          }));
      }
      return Promise.resolve({
        resources: r.resources.map((x) => ({
          resourceName: x.name,
          configEntries: configs[x.name] ?? [],
        })),
      });
    },
    alterConfigs: (request: AlterRequest) => {
      if (options.alterError !== undefined) return Promise.reject(options.alterError);
      alters.push(request);
      pending.push({ request, due: describes + 1 + (options.lag ?? 0) });
      return Promise.resolve();
    },
  };
  return { admin: admin as unknown as Admin, alters, describes: () => describes };
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

  it("returns only once the broker reports the raised limit", async () => {
    const configs = { t: [limit("1048588", 5)] };
    const { admin, describes } = fakeAdmin(configs, { lag: 3 });
    await raiseMessageLimits(admin, [{ topic: "t", maxMessageBytes: 9_437_184 }]);
    // One describe to find the limit, then polls until the change shows (it does on the 5th).
    expect(describes()).toBe(5);
    expect(configs.t[0]?.configValue).toBe("9437184");
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
    const { admin } = fakeAdmin(
      { t: [limit("1048588", 5)] },
      { alterError: new Error("not authorized") },
    );
    const error = await raiseMessageLimits(admin, [
      { topic: "t", maxMessageBytes: 9_437_184 },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as Error).message).toBe(
      "topic t accepts messages up to 1048588 bytes (max.message.bytes) and georep needs 9437184; raising it failed. Raise it by hand: kafka-configs.sh --alter --entity-type topics --entity-name t --add-config max.message.bytes=9437184",
    );
  });
});
