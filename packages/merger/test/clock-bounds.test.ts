import { expect, it } from "vitest";
import type { RowSlice } from "@georep/contract";
import { clockSkewOf, newestStamp, receivedCommitTime } from "../src/clock-bounds.ts";

const NOW = 1_790_000_000_000;
const slice = (t: string, ins: string | null = null): RowSlice => ({
  table: "public.items",
  key: { id: "1" },
  zone: null,
  counters: {},
  registers: { label: { v: "x", t } },
  ins,
  del: null,
  delBase: null,
});
const at = (ms: number): string => String(BigInt(ms) << 16n);

it("takes the newest of register, insert and delete stamps", () => {
  expect(newestStamp({ ...slice(at(NOW), at(NOW + 5)), del: at(NOW + 9) })).toBe(
    BigInt(at(NOW + 9)),
  );
});

it("lets stamps up to the forward skew through and sets aside later ones", () => {
  expect(clockSkewOf(slice(at(NOW + 60_000)), NOW, 60_000)).toBeUndefined();
  expect(clockSkewOf(slice(at(NOW + 60_001)), NOW, 60_000)).toMatch(/60001 ms ahead/);
  expect(clockSkewOf(slice(at(NOW), at(NOW + 120_000)), NOW, 60_000)).toMatch(/ahead/);
});

it("sets aside stamps at and past the bigint limit, so a later local stamp cannot overflow", () => {
  expect(clockSkewOf(slice("9223372036854775807"), NOW, 60_000)).toMatch(/ahead/);
  expect(clockSkewOf(slice("9999999999999999999"), NOW, 60_000)).toMatch(/ahead/);
});

it("caps a commit time at the moment it was received", () => {
  expect(receivedCommitTime(NOW + 86_400_000, NOW)).toBe(NOW);
  expect(receivedCommitTime(NOW - 5, NOW)).toBe(NOW - 5);
});
