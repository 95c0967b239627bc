// `georep region rebuild` with collection on snapshots its source only once the source has
// applied what the lost region last reported: peers may have collected deletes on those reports,
// and a rebuilt region holding such a key alive would write into it (docs/data-model.md, "A
// region that loses history").
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { UsageError } from "@georep/command-line";
import { originTopic } from "@georep/contract";
import { createKafka } from "@georep/kafka";
import { silentLogger } from "@georep/observability";
import {
  createTestTopic,
  readEndpoints,
  testKafka,
  uniqueName,
  useCleanups,
} from "@georep/testkit";
import { waitForSourceToCover } from "../src/commands/rebuild-wait.ts";
import { closeCliRegions, cliRegions } from "./cli-regions.ts";
import type { CliRegion } from "./cli-regions.ts";

const defer = useCleanups();
let regions: CliRegion[] = [];
beforeAll(async () => {
  regions = await cliRegions("rebuildwait", ["us-east", "eu-west"]);
});
afterAll(() => closeCliRegions(regions));

it("waits until the source applied what the lost region reported, and refuses a source that stays behind", async () => {
  const source = regions[0] as CliRegion;
  // The lost region's topic: its last heartbeat reported eu-west applied up to 500 and the
  // source up to 900 (the source's own changes: never waited for).
  const lost = uniqueName("lost").replaceAll("_", "-").slice(0, 24);
  const topic = await createTestTopic(originTopic(lost), 2);
  defer(() => topic.delete());
  const producer = testKafka(uniqueName("beats")).producer();
  await producer.connect();
  defer(() => producer.disconnect());
  const beat = JSON.stringify({
    v: 1,
    kind: "heartbeat",
    origin: lost,
    lsn: "0/10",
    commitTime: Date.now(),
    stamp: "1000",
    progress: { stable: "1000", applied: { "eu-west": "500", "us-east": "900" } },
  });
  for (const partition of [0, 1])
    await producer.send({ topic: topic.name, messages: [{ partition, value: beat }] });
  const kafka = createKafka({
    brokers: readEndpoints().kafka.brokers,
    clientId: "rebuild-wait-test",
    logger: silentLogger(),
  });
  defer(() => kafka.disconnect());
  const pool = new pg.Pool({ connectionString: source.db.url, max: 2 });
  defer(() => pool.end());
  const stages: string[] = [];
  const wait = (maxWaitMs: number) =>
    waitForSourceToCover({
      kafka,
      lost,
      source: { region: source.region, pool },
      bar: { update: (stage) => stages.push(stage), stop: () => undefined },
      pollMs: 100,
      maxWaitMs,
    });

  await source.client.query("INSERT INTO georep.applied (origin, stamp) VALUES ('eu-west', 499)");
  const refused = await wait(1_000).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(UsageError);
  expect((refused as UsageError).message).toMatch(
    /has not applied what .* last reported of eu-west/,
  );
  expect(stages.length, "the bar showed the wait").toBeGreaterThan(0);

  // The source catches up (its merger would): the wait ends.
  setTimeout(() => {
    void source.client.query("UPDATE georep.applied SET stamp = 500 WHERE origin = 'eu-west'");
  }, 300);
  await expect(wait(30_000)).resolves.toBeUndefined();
});
