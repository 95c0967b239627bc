import { readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroundTruth } from "@georep/camera-service";
import { propertyConfig } from "@georep/crdt/testing";
import { replicatorProcess, scalar, waitFor } from "@georep/testkit";
import type { ReplicatorProcess } from "@georep/testkit";
import { chaosRegions, writeRound } from "./chaos-regions.ts";
import type { ChaosRegions } from "./chaos-regions.ts";
import { regionsExact } from "./exact-regions.ts";

/**
 * On the secure stack (chaos-regions.ts, `secure`): every link secured as in production.
 *
 * Issue 11, part 2: the active replicator of region A hangs (SIGSTOP) while every region writes.
 * Its session stays open, so only the lease can tell: the standby takes over once the lease
 * expires and must be ready within 15 s. Then the old active wakes up (SIGCONT): its epoch is
 * superseded, so it steps down (exits non-zero) without committing a merge or confirming the
 * slot, and every total is exact.
 */
describe("chaos: SIGSTOP of a region's active replicator", () => {
  const { seed } = propertyConfig();
  let chaos: ChaosRegions;
  let standby: ReplicatorProcess;

  beforeAll(async () => {
    chaos = await chaosRegions({ stack: "secure", prefix: "h" });
    for (const r of chaos.regions) await r.proc.start();
    const [a] = chaos.regions;
    if (a === undefined) throw new Error("three regions expected");
    standby = replicatorProcess(`${a.id}-standby`, await chaos.config(a));
    await standby.start({ until: "serving" });
  });

  afterAll(async () => {
    await standby.stop();
    await chaos.close();
  });

  const ready = async (proc: ReplicatorProcess): Promise<boolean> => {
    const res = await fetch(`http://127.0.0.1:${proc.port}/ready`, {
      signal: AbortSignal.timeout(1_000),
    }).catch(() => undefined);
    await res?.arrayBuffer();
    return res?.status === 200;
  };

  it(`the standby is ready within 15 s; the woken active writes nothing (seed ${seed})`, async () => {
    const { regions } = chaos;
    const [a] = regions;
    if (a === undefined) throw new Error("three regions expected");
    const truth = new GroundTruth();
    const write = (round: number, operations: number) =>
      writeRound(regions, { seed, round, operations, cameras: 4, truth });
    const during = write(0, 800);
    await waitFor(async () => scalar(await a.proc.scrape(), "georep_merge_batches_total") >= 3, {
      description: "A's active to be merging",
      timeoutMs: 60_000,
    });
    expect(await ready(standby)).toBe(false);
    // Every progress row a merge writes in A, with the epoch of the session that wrote it: the
    // deposed active must write none once the standby has taken over. SECURITY DEFINER: the merge
    // role may write nothing outside georep's schema, so the log is written with the admin's rights.
    await a.pool
      .query(`CREATE TABLE public.progress_epochs (epoch text, at timestamptz DEFAULT clock_timestamp());
      CREATE FUNCTION public.log_progress_epoch() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      BEGIN INSERT INTO public.progress_epochs (epoch) VALUES (current_setting('georep.epoch', true)); RETURN NULL; END $$;
      CREATE TRIGGER log_progress_epoch AFTER INSERT OR UPDATE ON georep.progress
        FOR EACH ROW EXECUTE FUNCTION public.log_progress_epoch();`);
    const epochOf = async () =>
      (await a.pool.query<{ e: string }>("SELECT epoch::text AS e FROM georep.leader")).rows[0]?.e;
    const deposed = await epochOf();

    a.proc.signal("SIGSTOP");
    const stoppedAt = performance.now();
    await waitFor(() => ready(standby), {
      description: "the standby to take over and be ready",
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const readyAfter = (performance.now() - stoppedAt) / 1000;
    console.log(
      `hung active: standby ready ${readyAfter.toFixed(1)} s after SIGSTOP (target 15 s)`,
    );
    expect(readyAfter).toBeLessThan(15);
    await during;

    const logFrom = statSync(a.proc.logPath).size;
    const wokeAt = (await a.pool.query<{ t: Date }>("SELECT clock_timestamp() AS t")).rows[0]?.t;
    a.proc.signal("SIGCONT");
    const code = await Promise.race([
      a.proc.exited(),
      new Promise<string>((r) =>
        setTimeout(() => {
          r("still running 60 s after SIGCONT");
        }, 60_000),
      ),
    ]);
    expect(code, "the woken active steps down and exits non-zero").toBe(1);
    const woke = readFileSync(a.proc.logPath).subarray(logFrom).toString("utf8");
    expect(woke).toMatch(/lost the active role|no longer the region's active one/);
    expect(woke).not.toContain('"msg":"replicator active"');
    const taken = await epochOf();
    expect(taken).not.toBe(deposed);

    // The standby, now active, carries on with the region's writes.
    await write(1, 200);
    await waitFor(() => regionsExact(regions, truth), {
      description: `regions identical with exact totals after the takeover (seed ${seed})`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    const byEpoch = new Map(
      (
        await a.pool.query<{ epoch: string; n: string }>(
          "SELECT epoch, count(*)::text AS n FROM public.progress_epochs GROUP BY epoch",
        )
      ).rows.map((r) => [r.epoch, Number(r.n)]),
    );
    expect(byEpoch.get(taken ?? ""), "the new active's merges are logged").toBeGreaterThan(0);
    // Merges of the deposed active before the SIGSTOP are fine; once woken, none may commit.
    const late = await a.pool.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM public.progress_epochs WHERE epoch = $1 AND at >= $2",
      [deposed, wokeAt],
    );
    expect(late.rows[0]?.n, "progress written by the deposed active after the takeover").toBe("0");
  });
});
