// One lane per partition: a partition's batch is handled while the consumer already fetches the
// next one. kafkajs fetches again only once every eachBatch call of a fetch has returned, so a
// handler awaited there puts its whole run between two fetches: on a link with a round trip of
// r, each fetch cycle lasts r + the handling, and a record waits up to two of them. Handled in a
// lane, the cycle is max(r, handling).
//
//   idle ──run(work)──▶ busy ──work settles──▶ idle (a rejection is kept as the lane's failure)
//   previous(): waits for the lane to be idle, then hands over (and clears) its failure
//
// A lane never runs two batches at once: the next batch of a partition waits in previous()
// (inside kafkajs' eachBatch), so at most one batch per partition is handled and one more waits.

export interface LaneFailure {
  readonly error: unknown;
}

export interface BatchLanes {
  /** Waits until the partition's batch under way is done; returns its failure once, if it failed. */
  previous(id: string): Promise<LaneFailure | undefined>;
  /** Starts `work` in the partition's lane (after previous()); `onFailure` must not throw. */
  run(id: string, work: () => Promise<void>, onFailure: (error: unknown) => void): void;
  /** Resolves once no lane is busy. */
  settled(): Promise<void>;
  /** Forgets every kept failure (positions are about to be reloaded from the durable store). */
  forgetFailures(): void;
}

interface Lane {
  tail: Promise<void>;
  failure: LaneFailure | undefined;
}

export function createBatchLanes(): BatchLanes {
  const lanes = new Map<string, Lane>();
  const laneOf = (id: string): Lane => {
    let lane = lanes.get(id);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), failure: undefined };
      lanes.set(id, lane);
    }
    return lane;
  };
  return {
    async previous(id) {
      const lane = lanes.get(id);
      if (lane === undefined) return undefined;
      await lane.tail;
      const failure = lane.failure;
      lane.failure = undefined;
      return failure;
    },
    run(id, work, onFailure) {
      const lane = laneOf(id);
      lane.tail = work().catch((error: unknown) => {
        lane.failure = { error };
        onFailure(error);
      });
    },
    async settled() {
      await Promise.all([...lanes.values()].map((l) => l.tail));
    },
    forgetFailures() {
      for (const lane of lanes.values()) lane.failure = undefined;
    },
  };
}
