import { expect, it } from "vitest";
import { settlesWithin } from "../src/settles-within.ts";

it("is true for a promise that resolves or rejects in time, false for one that never settles", async () => {
  expect(await settlesWithin(Promise.resolve(1), 1_000)).toBe(true);
  expect(await settlesWithin(Promise.reject(new Error("gone")), 1_000)).toBe(true);
  expect(await settlesWithin(new Promise(() => undefined), 20)).toBe(false);
});
