import { BigintRangeError, ClockSkewError, CrdtError } from "./errors.ts";

/**
 * Hybrid logical clock stamp packed into one bigint that fits PostgreSQL `bigint`:
 *
 *   packed = (physicalMs << 16) | logical      physicalMs < 2^47 (year 6429), logical < 2^16
 *
 * Packing makes the stamp order plain integer order, so SQL triggers compare stamps with `>`.
 * Logical overflow needs no special case: (p << 16 | 65535) + 1 === (p + 1) << 16, i.e. the
 * physical part advances by one millisecond.
 */
export type HlcStamp = bigint;

export const LOGICAL_BITS = 16n;
export const LOGICAL_MAX = 0xffff;
export const PHYSICAL_MAX_MS = 2 ** 47 - 1;

/** @throws BigintRangeError when a part is out of range or not an integer. */
export function packHlc(physicalMs: number, logical = 0): HlcStamp {
  if (!Number.isSafeInteger(physicalMs) || physicalMs < 0 || physicalMs > PHYSICAL_MAX_MS) {
    throw new BigintRangeError("HLC physical time (ms)", physicalMs);
  }
  if (!Number.isInteger(logical) || logical < 0 || logical > LOGICAL_MAX) {
    throw new BigintRangeError("HLC logical counter (0..65535)", logical);
  }
  return (BigInt(physicalMs) << LOGICAL_BITS) | BigInt(logical);
}

/** @throws BigintRangeError for a negative stamp or one past PostgreSQL bigint. */
export function unpackHlc(stamp: HlcStamp): { physicalMs: number; logical: number } {
  if (stamp < 0n || stamp >> LOGICAL_BITS > BigInt(PHYSICAL_MAX_MS))
    throw new BigintRangeError("HLC stamp", stamp);
  return { physicalMs: Number(stamp >> LOGICAL_BITS), logical: Number(stamp & 0xffffn) };
}

export type HlcOptions = {
  /** Milliseconds since the epoch; injected so tests can make it jump backwards. */
  readonly wallClock: () => number;
  /** How far ahead of our wall clock a remote stamp may be before `receive` refuses it. */
  readonly maxForwardSkewMs: number;
  /** Last stamp issued before a restart, so a restarted clock never goes back. */
  readonly initial?: HlcStamp;
};

export type Hlc = {
  /** A fresh stamp for a local event: strictly greater than every stamp issued or received. */
  now(): HlcStamp;
  /**
   * Moves the clock past `remote` and returns a fresh stamp above it.
   * @throws ClockSkewError when remote's physical part is more than maxForwardSkewMs ahead of
   *   the wall clock (the clock is left unchanged).
   */
  receive(remote: HlcStamp): HlcStamp;
  /** The last stamp issued, without advancing. */
  peek(): HlcStamp;
};

/** @throws CrdtError for invalid options. */
export function createHlc(options: HlcOptions): Hlc {
  const { wallClock, maxForwardSkewMs } = options;
  if (!Number.isFinite(maxForwardSkewMs) || maxForwardSkewMs < 0) {
    throw new CrdtError(
      `createHlc: maxForwardSkewMs (${maxForwardSkewMs}) must be a finite number >= 0, e.g. 60000.`,
    );
  }
  let last = options.initial ?? 0n;
  unpackHlc(last);

  const wallMs = (): number => Math.floor(wallClock());
  // max(wall << 16, last + 1): monotonic even when the wall clock steps back.
  const advance = (floor: HlcStamp): HlcStamp => {
    const wall = packHlc(wallMs());
    last = wall > floor ? wall : floor + 1n;
    return last;
  };

  return {
    now: () => advance(last),
    receive(remote) {
      const { physicalMs } = unpackHlc(remote);
      const wall = wallMs();
      if (physicalMs - wall > maxForwardSkewMs)
        throw new ClockSkewError(physicalMs, wall, maxForwardSkewMs);
      return advance(remote > last ? remote : last);
    },
    peek: () => last,
  };
}

/**
 * max(observed + 1, hlc.now()): the stamp of a local overwrite, so it always beats the value it
 * overwrote even when our wall clock is behind the writer of `observed`. Never throws on skew:
 * `observed` is already in our state, and refusing a local write would not un-skew anything.
 */
export function stampAfter(hlc: Hlc, observed: HlcStamp | undefined): HlcStamp {
  const fresh = hlc.now();
  return observed === undefined || fresh > observed ? fresh : observed + 1n;
}
