// Whether a batch is handled while the next fetch is already on its way (prefetch) or before it.
//
// A broker answers a fetch at once when it holds data, so a prefetch returns one round trip r
// after it left. Handling takes h. With r ≥ h the prefetch brings back every record up to the
// moment the handling ended, and a fetch cycle shrinks from r + h to r: on a WAN link that is most
// of the lag. With r < h it brings back only the records of its first r, and every later one
// waits one more handling behind it: worse than fetching after the handling. So: prefetch while
// the link's round trip exceeds the handling time.
//
// r is the shortest of the last fetches (a fetch with no data waits at the broker, longer than
// r); h a moving average of handling times. Until both are known, batches are handled before the
// next fetch, as a consumer without this rule does.

/** Fetch durations kept for the round-trip estimate. */
const FETCH_WINDOW = 16;
/** Weight of the newest handling time in the moving average. */
const HANDLING_WEIGHT = 0.2;

export interface PrefetchRule {
  /** A fetch took `ms`, from request to response (kafkajs' FETCH event). */
  fetched(ms: number): void;
  /** A batch took `ms` to handle. */
  handled(ms: number): void;
  /** True: hand the batch over and let the consumer fetch on. */
  prefetch(): boolean;
}

export function createPrefetchRule(): PrefetchRule {
  const fetches: number[] = [];
  let handling: number | undefined;
  return {
    fetched(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      fetches.push(ms);
      if (fetches.length > FETCH_WINDOW) fetches.shift();
    },
    handled(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      handling = handling === undefined ? ms : handling + HANDLING_WEIGHT * (ms - handling);
    },
    prefetch() {
      if (handling === undefined || fetches.length === 0) return false;
      return Math.min(...fetches) > handling;
    },
  };
}
