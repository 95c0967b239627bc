// Forged envelopes against three regions that sign and verify (docs/security.md, "Envelope
// signing"). A producer with plain write access to region A's topic claims to be A: unsigned,
// signed with a key of its own, signed with its own key under A's key id, and a genuine A
// signature over bytes changed afterwards, among them a tombstone base that would zero the row's
// counts everywhere. Each must reach the other regions' dead-letter topics as `bad-signature`,
// be counted, and change nothing. Region C is mid-rotation: both its keys are accepted.
import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pool } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  KEY_ID_HEADER,
  SIGNATURE_HEADER,
  createEnvelopeSigner,
  deadLetterTopic,
  encodeEnvelope,
  originTopic,
  partitionOf,
  rowKey,
} from "@georep/contract";
import type { Envelope, RowSlice } from "@georep/contract";
import { packHlc } from "@georep/crdt";
import { testKafka, uniqueName, waitFor } from "@georep/testkit";
import type { ThreeRegions } from "../e2e/regions.ts";
import { startThreeRegions } from "../e2e/regions.ts";

interface Pair {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  readonly file: string;
}
const dir = mkdtempSync(join(tmpdir(), "georep-signing-int-"));
const pair = (name: string): Pair => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  return {
    privateKey,
    file,
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
};
// A and B sign with their one key; C lists its old and new keys and already signs with the new.
const [a, b, cOld, cNew, rogue] = ["a", "b", "c-old", "c-new", "rogue"].map(pair) as [
  Pair,
  Pair,
  Pair,
  Pair,
  Pair,
];
const publicKeys = [[a.publicPem], [b.publicPem], [cOld.publicPem, cNew.publicPem]];
const privateFiles = [a.file, b.file, cNew.file];

const BUCKET = "2026-11-22 10:00:00+00";
/** The replicator's default partitions per topic. */
const PARTITIONS = 6;
const COMPONENTS = ["people_in__p", "people_out__p", "vehicle_in__p", "vehicle_out__p"];

async function peopleIn(pool: Pool, camera: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ n: string }>(
    "SELECT people_in::text AS n FROM counting_results WHERE camera_id = $1",
    [camera],
  );
  return rows[0]?.n;
}

/** A `rows` envelope of `origin` with one counting_results slice. */
function rowsEnvelope(origin: string, slice: Partial<RowSlice> & { camera: string }): Envelope {
  const { camera, ...rest } = slice;
  return {
    v: 1,
    kind: "rows",
    origin,
    lsn: "FF/0",
    commitTime: Date.now(),
    rows: [
      {
        table: "public.counting_results",
        key: { camera_id: camera, bucket: BUCKET },
        zone: null,
        counters: Object.fromEntries(COMPONENTS.map((c) => [c, "0"])),
        registers: {},
        ins: null,
        del: null,
        delBase: null,
        ...rest,
      },
    ],
  };
}

interface DeadLetter {
  readonly reason: string;
  readonly detail: string;
  readonly source: string;
}

/** Every dead letter `region` publishes from now on (read from the start of its topic). */
async function readDeadLetters(region: string): Promise<{
  letters: DeadLetter[];
  stop(): Promise<void>;
}> {
  const letters: DeadLetter[] = [];
  const consumer = testKafka(uniqueName("sigdlq")).consumer({ groupId: uniqueName("sigdlq") });
  await consumer.connect();
  await consumer.subscribe({ topic: deadLetterTopic(region), fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const h = (name: string): string => String(message.headers?.[name] ?? "");
      letters.push({
        reason: h("georep-dlq-reason"),
        detail: h("georep-dlq-detail"),
        source: h("georep-dlq-source"),
      });
      return Promise.resolve();
    },
  });
  return { letters, stop: () => consumer.disconnect() };
}

describe("signed envelopes", () => {
  let world: ThreeRegions;
  beforeAll(async () => {
    world = await startThreeRegions("sig", [], (i, ids) => ({
      regions: ids.map((id, j) => ({ id, publicKeys: publicKeys[j] })),
      signing: { privateKey: { file: privateFiles[i] } },
    }));
  }, 120_000);
  afterAll(async () => world.close());

  it("dead-letters forged envelopes of a region as bad-signature, counts them, and changes nothing", async () => {
    const [ra, rb, rc] = world.regions as [
      (typeof world.regions)[0],
      (typeof world.regions)[0],
      (typeof world.regions)[0],
    ];
    const all = [ra, rb, rc];
    // Real traffic, signed by A (its one key) and C (the second of its two keys).
    await ra.pool.query(
      "INSERT INTO counting_results (camera_id, bucket, people_in, home_region) VALUES ('cam-sig', $1, 5, $2)",
      [BUCKET, ra.id],
    );
    await waitFor(async () => (await peopleIn(rc.pool, "cam-sig")) === "5", {
      description: "A's insert to reach C",
      timeoutMs: 60_000,
    });
    await rc.pool.query(
      "UPDATE counting_results SET people_in = people_in + 2 WHERE camera_id = 'cam-sig'",
    );
    for (const r of all)
      await waitFor(async () => (await peopleIn(r.pool, "cam-sig")) === "7", {
        description: `7 people in ${r.id}`,
        timeoutMs: 60_000,
      });

    // The forgeries, on A's topic, claiming origin A.
    const stamp = packHlc(Date.now()).toString();
    const zeroEverything = Object.fromEntries(
      all.map((r) => [r.id, Object.fromEntries(COMPONENTS.map((c) => [c, "1000000000"]))]),
    );
    const tombstone = encodeEnvelope(
      rowsEnvelope(ra.id, { camera: "cam-sig", del: stamp, delBase: zeroEverything }),
    );
    const heartbeat = encodeEnvelope({
      v: 1,
      kind: "heartbeat",
      origin: ra.id,
      lsn: "FF/0",
      commitTime: Date.now(),
      stamp,
      progress: { stable: stamp, applied: { [rb.id]: stamp, [rc.id]: stamp } },
    });
    const topic = originTopic(ra.id);
    // cam-sig's own partition: A's next real change of it comes after the forgeries there.
    const partition = partitionOf(
      rowKey("public.counting_results", { camera_id: "cam-sig", bucket: BUCKET }, [
        "camera_id",
        "bucket",
      ]),
      PARTITIONS,
    );
    const rogueSigner = createEnvelopeSigner(rogue.privateKey);
    const aSigner = createEnvelopeSigner(a.privateKey);
    const benign = encodeEnvelope(rowsEnvelope(ra.id, { camera: "cam-sig" }));
    const forgeries: Array<{ headers: Record<string, string>; value: Buffer; detail: RegExp }> = [
      { headers: {}, value: tombstone, detail: /^unsigned/ },
      { headers: {}, value: heartbeat, detail: /^unsigned/ },
      {
        headers: rogueSigner.headers(topic, partition, tombstone),
        value: tombstone,
        detail: /^unknown key id/,
      },
      {
        // The rogue's signature under A's key id.
        headers: {
          [SIGNATURE_HEADER]:
            rogueSigner.headers(topic, partition, tombstone)[SIGNATURE_HEADER] ?? "",
          [KEY_ID_HEADER]: aSigner.keyId,
        },
        value: tombstone,
        detail: /^signature does not verify/,
      },
      {
        // A genuine signature of A over a harmless envelope, the bytes swapped afterwards.
        headers: aSigner.headers(topic, partition, benign),
        value: tombstone,
        detail: /^signature does not verify/,
      },
    ];
    const readers = await Promise.all([rb.id, rc.id].map(readDeadLetters));
    const producer = testKafka(uniqueName("forger")).producer();
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: forgeries.map((f) => ({ partition, value: f.value, headers: f.headers })),
      });
    } finally {
      await producer.disconnect();
    }

    // A real change of A after them: it arrives everywhere, and with it nothing of the forgeries
    // (the tombstone would leave 0 people, or no row at all).
    await ra.pool.query(
      "UPDATE counting_results SET people_in = people_in + 1 WHERE camera_id = 'cam-sig'",
    );
    for (const r of all)
      await waitFor(async () => (await peopleIn(r.pool, "cam-sig")) === "8", {
        description: `8 people in ${r.id}`,
        timeoutMs: 60_000,
      });

    for (const [i, reader] of readers.entries()) {
      // In the order they were produced (the dead-letter topic's partitions mix them up).
      const offset = (l: DeadLetter): number => Number(l.source.split("/")[2]);
      const mine = () =>
        reader.letters
          .filter((l) => l.source.startsWith(`${topic}/`))
          .sort((x, y) => offset(x) - offset(y));
      await waitFor(() => mine().length >= forgeries.length, {
        description: `${forgeries.length} dead letters in ${[rb, rc][i]?.id}`,
        timeoutMs: 60_000,
      });
      expect(mine().map((l) => l.reason)).toEqual(forgeries.map(() => "bad-signature"));
      for (const [j, f] of forgeries.entries()) expect(mine()[j]?.detail).toMatch(f.detail);
      await reader.stop();
    }
    for (const r of [rb, rc]) {
      expect(await r.metrics.render()).toMatch(
        new RegExp(`georep_dead_letters_total\\{reason="bad-signature"\\} ${forgeries.length}\\b`),
      );
      expect(await peopleIn(r.pool, "cam-sig")).toBe("8");
      // Nothing of them waits in the quarantine either, so `georep dlq replay` cannot merge it.
      const { rowCount } = await r.pool.query("SELECT 1 FROM georep.quarantine");
      expect(rowCount).toBe(0);
    }

    // Rotation: a record signed with C's old key is still accepted.
    const old = encodeEnvelope(
      rowsEnvelope(rc.id, {
        camera: "cam-rot",
        counters: { ...Object.fromEntries(COMPONENTS.map((c) => [c, "0"])), people_in__p: "4" },
        registers: { home_region: { v: rc.id, t: stamp } },
        ins: stamp,
      }),
    );
    const cTopic = originTopic(rc.id);
    const again = testKafka(uniqueName("rotation")).producer();
    await again.connect();
    try {
      await again.send({
        topic: cTopic,
        messages: [
          {
            partition: 0,
            value: old,
            headers: createEnvelopeSigner(cOld.privateKey).headers(cTopic, 0, old),
          },
        ],
      });
    } finally {
      await again.disconnect();
    }
    for (const r of [ra, rb]) {
      await waitFor(async () => (await peopleIn(r.pool, "cam-rot")) === "4", {
        description: `C's old-key record merged in ${r.id}`,
        timeoutMs: 60_000,
      });
    }
  }, 300_000);
});
