/**
 * The lag bench's delay mode (BENCH_DELAY=seeds): each region on its own Kafka cluster, reaching
 * the others' through delaying proxies with the seeds' one-way delays (test/chaos/region-kafka.ts).
 * Lag is then reported per pair (merging region ← origin) beside the pair's injected one-way
 * delay, and what the pipeline adds above it, against the target p99 ≤ delay + 100 ms.
 */
import { summarize, windowedBuckets } from "@georep/testkit";

/** BENCH_DELAY, checked: "seeds", or undefined when unset. @throws naming the variable and the fix. */
export function delayFromEnv(env: NodeJS.ProcessEnv = process.env): "seeds" | undefined {
  const text = env["BENCH_DELAY"];
  if (text === undefined || text === "") return undefined;
  if (text !== "seeds")
    throw new Error(
      `BENCH_DELAY must be 'seeds' (the seeds' WAN delays) or unset (no delay); got ${JSON.stringify(text)}`,
    );
  return text;
}

/** Only the samples of one origin's series, so a histogram can be read per pair. */
export const originSeries = (text: string, origin: string): string =>
  text
    .split("\n")
    .filter((line) => line.includes(`origin="${origin}"`))
    .join("\n");

export interface PairLag {
  readonly region: string;
  readonly origin: string;
  readonly oneWayMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly count: number;
}

/** Per-pair lag over the window (after − before), each region's scrape against every origin. */
export function pairLags(
  o: {
    readonly ids: readonly string[];
    readonly before: readonly string[];
    readonly after: readonly string[];
    readonly oneWayMs: (viewer: number, origin: number) => number;
  },
  histogram: string,
): PairLag[] {
  return o.ids.flatMap((region, viewer) =>
    o.ids.flatMap((origin, j) => {
      if (j === viewer) return [];
      const window = windowedBuckets(
        [originSeries(o.before[viewer] ?? "", origin)],
        [originSeries(o.after[viewer] ?? "", origin)],
        histogram,
      );
      const lag = summarize(window);
      return [
        {
          region,
          origin,
          oneWayMs: o.oneWayMs(viewer, j),
          p50Ms: lag.quantile(0.5) * 1000,
          p99Ms: lag.quantile(0.99) * 1000,
          count: lag.count,
        },
      ];
    }),
  );
}

/** One line per pair: p50/p99, the injected delay, p99 above it, and the target's verdict. */
export function pairLines(pairs: readonly PairLag[], targetAboveMs: number): string[] {
  return pairs.map((p) => {
    const above = p.p99Ms - p.oneWayMs;
    return `  ${p.region} ← ${p.origin}: one-way delay ${p.oneWayMs} ms; lag p50 ${p.p50Ms.toFixed(0)} ms, p99 ${p.p99Ms.toFixed(0)} ms (${above.toFixed(0)} ms above the delay; target ≤ ${targetAboveMs} ms: ${above <= targetAboveMs ? "OK" : "ABOVE TARGET"}) over ${p.count} slices`;
  });
}
