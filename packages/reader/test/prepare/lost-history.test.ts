import { describe, expect, it } from "vitest";
import type { Incarnation } from "@georep/schema";
import { lostHistory, lostHistoryReason } from "../../src/prepare/lost-history.ts";
import type { HistoryEvidence } from "../../src/prepare/lost-history.ts";
import { lsnFromBigInt } from "../../src/postgres/lsn.ts";

const identity = { systemIdentifier: "7", timeline: 1, databaseOid: 16384 };
const current: Incarnation = {
  replica: "us-east",
  incarnation: 1,
  reason: "installed",
  identity,
  stampFloor: 0n,
  startedAt: new Date(0),
  attachedAt: new Date(1),
  repairedAt: null,
};
const ok: HistoryEvidence = {
  current,
  identity,
  slot: { kind: "ok", confirmedFlush: lsnFromBigInt(100n), activePid: null },
  walLsn: lsnFromBigInt(1000n),
  shipped: { replica: "us-east", lsn: lsnFromBigInt(900n) },
  resyncPending: false,
};

describe("lostHistoryReason", () => {
  it("finds nothing lost on the database that shipped it", () => {
    expect(lostHistoryReason(ok)).toBeUndefined();
    expect(lostHistoryReason({ ...ok, shipped: undefined })).toBeUndefined();
  });

  it.each<[string, Partial<HistoryEvidence>, RegExp]>([
    ["a new timeline", { identity: { ...identity, timeline: 2 } }, /timeline 1 -> 2/],
    ["a restored dump", { identity: { ...identity, databaseOid: 5 } }, /database oid 16384 -> 5/],
    ["an attached slot gone", { slot: { kind: "missing" } }, /slot missing after streaming/],
    ["an attached slot lost", { slot: { kind: "lost" } }, /slot invalidated after streaming/],
    [
      "a newer incarnation on the topic",
      { shipped: { replica: "us-east.1796000000", lsn: lsnFromBigInt(1n) } },
      /newer than this database's us-east/,
    ],
    [
      "WAL behind what was shipped",
      { shipped: { replica: "us-east", lsn: lsnFromBigInt(5000n) } },
      /went back in time/,
    ],
    [
      "a database that never streamed the replica the topic carries",
      { current: { ...current, attachedAt: null }, slot: { kind: "missing" } },
      /rebuilt from scratch, or a second database/,
    ],
  ])("starts a new incarnation after %s", (_name, change, reason) => {
    expect(lostHistoryReason({ ...ok, ...change })).toMatch(reason);
  });

  it("tells a database that went back in time from one that only lost its slot", () => {
    // Only the first may have lost deletes it applied and reported: its new incarnation waits.
    expect(lostHistory({ ...ok, slot: { kind: "missing" } })?.wentBack).toBe(false);
    expect(lostHistory({ ...ok, slot: { kind: "lost" } })?.wentBack).toBe(false);
    expect(lostHistory({ ...ok, identity: { ...identity, timeline: 2 } })?.wentBack).toBe(true);
    // A slot gone and the WAL behind what was shipped: went back, whichever is seen first.
    const both = lostHistory({
      ...ok,
      slot: { kind: "missing" },
      shipped: { replica: "us-east", lsn: lsnFromBigInt(5000n) },
    });
    expect(both?.wentBack).toBe(true);
    expect(both?.reason).toMatch(/went back in time/);
  });

  it("keeps the incarnation whose own first attach was interrupted", () => {
    expect(
      lostHistoryReason({
        ...ok,
        current: { ...current, attachedAt: null },
        slot: { kind: "missing" },
        resyncPending: true,
      }),
    ).toBeUndefined();
  });

  it("keeps an upgraded database's incarnation, whose slot streamed before incarnations existed", () => {
    expect(lostHistoryReason({ ...ok, current: { ...current, attachedAt: null } })).toBeUndefined();
  });

  it("keeps a first attach on a fresh database whose slot does not exist yet", () => {
    expect(
      lostHistoryReason({
        ...ok,
        current: { ...current, attachedAt: null },
        slot: { kind: "missing" },
        shipped: undefined,
      }),
    ).toBeUndefined();
  });
});
