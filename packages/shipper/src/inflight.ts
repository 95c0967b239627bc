// Bounded in-flight window:
//
//   count < capacity ──ready() resolves──▶ caller enqueues (count + 1)
//   count = capacity ──ready() waits──▶ a batch settles (count - 1) ──▶ every waiter re-checks
//   closed ──▶ every waiter resumes (callers then find the sink closed)
//
// Waiters are woken together and re-check, rather than one per settled batch: a waiter may find
// nothing to ship after all (the flush loop with an empty window), and a slot handed to it alone
// would be lost, leaving another waiter (an own-state emit) asleep with the window empty.
// The price is that waiters woken together may overshoot the capacity by their number (two).

export interface InflightWindow {
  readonly count: number;
  readonly capacity: number;
  /** Resolves when there is room for one more batch. */
  ready(): Promise<void>;
  enter(): void;
  leave(): void;
  close(): void;
}

export function createInflightWindow(capacity: number): InflightWindow {
  let count = 0;
  let closed = false;
  let waiters: Array<() => void> = [];
  const wakeAll = (): void => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  return {
    get count() {
      return count;
    },
    capacity,
    async ready() {
      while (count >= capacity && !closed) await new Promise<void>((r) => waiters.push(r));
    },
    enter() {
      count += 1;
    },
    leave() {
      count -= 1;
      if (count < capacity) wakeAll();
    },
    close() {
      closed = true;
      wakeAll();
    },
  };
}
