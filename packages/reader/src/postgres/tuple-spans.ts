import type { Values } from "./values.ts";

/** `start` of a slot whose value is SQL NULL. */
export const NULL_SPAN = -1;
/** `start` of a slot the tuple left unknown: unchanged TOAST, or a column it does not carry. */
export const UNKNOWN_SPAN = -2;

const EMPTY = Buffer.alloc(0);

function isAscii(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((b[i] ?? 0) > 0x7f) return false;
  return true;
}

/**
 * A decoded tuple as positions in its frame: for each slot of the relation's plan, where its
 * text lies (`frame[start, end)`), or NULL_SPAN / UNKNOWN_SPAN. No string is made until asked
 * for, so a complete tuple can be written as JSON straight from the frame (slice-json.ts).
 * The decoder reuses one instance per relation: it is valid only until the next decode().
 */
export class TupleSpans {
  frame: Buffer = EMPTY;
  readonly start: Int32Array;
  readonly end: Int32Array;

  constructor(readonly width: number) {
    this.start = new Int32Array(width);
    this.end = new Int32Array(width);
  }

  /** Starts a tuple of `frame`: every slot unknown until set. */
  reset(frame: Buffer): void {
    this.frame = frame;
    this.start.fill(UNKNOWN_SPAN);
  }

  /** True when no slot is unknown. */
  get complete(): boolean {
    return !this.start.includes(UNKNOWN_SPAN);
  }

  /**
   * The text of a slot (`null` SQL NULL, `undefined` unknown). ASCII is cut from a latin1
   * decode, several times cheaper than UTF-8; anything else is decoded as UTF-8.
   */
  text(slot: number): string | null | undefined {
    const s = this.start[slot] ?? UNKNOWN_SPAN;
    if (s === NULL_SPAN) return null;
    if (s === UNKNOWN_SPAN) return undefined;
    const e = this.end[slot] ?? s;
    return this.frame.toString(isAscii(this.frame, s, e) ? "latin1" : "utf8", s, e);
  }

  /** Every slot as text; an unknown slot takes `fallback`'s value (an update's old tuple). */
  values(fallback?: Values): Values {
    const out: Values = new Array<string | null | undefined>(this.width);
    for (let i = 0; i < this.width; i++) {
      const v = this.text(i);
      out[i] = v === undefined ? fallback?.[i] : v;
    }
    return out;
  }
}
