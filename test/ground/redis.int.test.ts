import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { readEndpoints, uniqueName, waitFor } from "@georep/testkit";

describe("Redis", () => {
  it("stores and reads a value", async () => {
    const redis = new Redis(readEndpoints().redis.url);
    const key = uniqueName("ground_key");
    try {
      expect(await redis.set(key, "42", "EX", 60)).toBe("OK");
      expect(await redis.get(key)).toBe("42");
    } finally {
      await redis.del(key);
      await redis.quit();
    }
  });

  it("delivers a published message to a subscriber", async () => {
    const url = readEndpoints().redis.url;
    const subscriber = new Redis(url);
    const publisher = new Redis(url);
    const channel = uniqueName("ground_channel");
    const received: string[] = [];
    try {
      subscriber.on("message", (ch: string, message: string) => {
        if (ch === channel) received.push(message);
      });
      await subscriber.subscribe(channel);
      // SUBSCRIBE has been answered, so the server counts our subscriber.
      expect(await publisher.publish(channel, "totals-changed")).toBe(1);
      await waitFor(() => received.length > 0, { description: `a message on channel ${channel}` });
      expect(received[0]).toBe("totals-changed");
    } finally {
      await subscriber.quit();
      await publisher.quit();
    }
  });
});
