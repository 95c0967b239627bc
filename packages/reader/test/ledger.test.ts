import { describe, expect, it } from "vitest";
import { createLedger } from "../src/ledger.ts";
import { lsnFromBigInt as l } from "../src/postgres/lsn.ts";

describe("received vs durable", () => {
  it("advances durable only over the completed prefix", () => {
    const ledger = createLedger(l(10n));
    const a = ledger.track(l(20n));
    const b = ledger.track(l(30n));
    ledger.complete(b);
    expect(ledger.durable).toBe(10n);
    ledger.complete(a);
    expect(ledger.durable).toBe(30n);
    expect(ledger.pending).toBe(0);
  });
  it("moves to an idle keepalive's position only when nothing is in flight", () => {
    const ledger = createLedger(l(10n));
    const t = ledger.track(l(20n));
    expect(ledger.advanceIdle(l(50n))).toBe(false);
    expect(ledger.durable).toBe(10n);
    ledger.complete(t);
    expect(ledger.advanceIdle(l(50n))).toBe(true);
    expect(ledger.durable).toBe(50n);
    ledger.raise(l(40n));
    expect(ledger.durable).toBe(50n);
  });
  it("resolves drained() when the last pending batch completes, in any order", async () => {
    const ledger = createLedger(l(10n));
    await ledger.drained();
    const a = ledger.track(l(20n));
    const b = ledger.track(l(30n));
    let drained = false;
    const waiting = ledger.drained().then(() => (drained = true));
    ledger.complete(b);
    await Promise.resolve();
    expect(drained).toBe(false);
    ledger.complete(a);
    await waiting;
    expect(drained).toBe(true);
    expect(ledger.durable).toBe(30n);
  });
});
