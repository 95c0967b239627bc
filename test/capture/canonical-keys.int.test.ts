import { expect, it } from "vitest";
import { useCleanups, waitFor } from "@georep/testkit";
import { readTopic, setupRegionDb, testCapture } from "./helpers.ts";

const defer = useCleanups();

it("ships key text in canonical form whatever the database's DateStyle and TimeZone", async () => {
  const r = await setupRegionDb("cap_keys");
  defer(() => r.close());
  // Every new session of this database, the capture's included, defaults to these.
  await r.client.query(
    `ALTER DATABASE ${r.db.name} SET DateStyle = 'SQL, DMY'; ALTER DATABASE ${r.db.name} SET TimeZone = 'Asia/Kolkata'`,
  );
  const capture = testCapture(r);
  defer(() => capture.stop());
  await capture.start();
  const topic = await readTopic(r.region);
  defer(() => topic.stop());
  await r.client.query(
    "INSERT INTO counting_results (camera_id, bucket, people_in) VALUES ('cam-k', '2026-02-01T00:00:00Z', 3)",
  );
  const keys = await waitFor(
    () => {
      const found = [...topic.rows.keys()].filter((k) => k.includes("cam-k"));
      return found.length > 0 ? found : undefined;
    },
    { description: "the row to arrive in Kafka", timeoutMs: 60_000 },
  );
  expect(keys.join()).toContain("2026-02-01 00:00:00+00");
});
