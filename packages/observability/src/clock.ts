/** Wall clock in epoch milliseconds, injected everywhere so tests can skew and step it. */
export type WallClock = () => number;

export const systemClock: WallClock = () => Date.now();
