// Bounded in-flight window:
//
//   count < capacity ──ready() resolves──▶ caller enqueues (count + 1)
//   count = capacity ──ready() waits──▶ a batch settles (count - 1) ──▶ the oldest waiter resumes
//   closed ──▶ every waiter resumes (callers then find the sink closed)

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
  const waiters: Array<() => void> = [];
  const wakeOne = (): void => {
    if (count < capacity || closed) waiters.shift()?.();
  };
  return {
    get count() {
      return count;
    },
    capacity,
    ready() {
      if (count < capacity || closed) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    enter() {
      count += 1;
    },
    leave() {
      count -= 1;
      wakeOne();
    },
    close() {
      closed = true;
      while (waiters.length > 0) waiters.shift()?.();
    },
  };
}
