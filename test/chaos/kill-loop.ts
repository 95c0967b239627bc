import type pg from "pg";
import type { ReplicatorProcess } from "@georep/testkit";
import { waitFor } from "@georep/testkit";

/**
 * SIGKILLs a random region's replicator and restarts it, again and again while `phase.writing`,
 * at most `maxKills` times; returns how many kills it made. A victim is killed only once it has
 * merged something since its last start, so kills land mid-stream rather than back to back
 * during start-up.
 */
export async function killWhileWriting(o: {
  readonly regions: ReadonlyArray<{ readonly pool: pg.Pool; readonly proc: ReplicatorProcess }>;
  readonly random: () => number;
  readonly phase: { readonly writing: boolean };
  readonly maxKills: number;
}): Promise<number> {
  let kills = 0;
  while (o.phase.writing && kills < o.maxKills) {
    const victim = o.regions[Math.floor(o.random() * o.regions.length)];
    if (victim === undefined) continue;
    const merged = async (): Promise<bigint> =>
      BigInt(
        (
          await victim.pool.query<{ n: string }>(
            "SELECT coalesce(sum(kafka_offset), -1)::text AS n FROM georep.progress",
          )
        ).rows[0]?.n ?? "-1",
      );
    const before = await merged();
    await waitFor(async () => (await merged()) > before || !o.phase.writing, {
      description: "the victim to merge more before the next kill",
      timeoutMs: 60_000,
    });
    await victim.proc.kill9();
    kills += 1;
    await victim.proc.start();
  }
  return kills;
}
