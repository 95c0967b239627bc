// A row template: the constant JSON of one table's rows of one shape (which values are NULL),
// with the values cut out. Recorded once per shape by running the slice writer with a source
// that writes no values, so a row written through its template has exactly the writer's bytes;
// writing one is then a handful of copies instead of a walk through the layout per row.

/** Values as they sit in the template: text copied from the frame, or the transformed delete base. */
export const PLAIN_HOLE = 0;
export const DELETE_BASE_HOLE = 1;

export interface RowTemplate {
  /** The constant bytes before each value, and after the last (one more than values). */
  readonly text: readonly Buffer[];
  /** Per value, in writing order: its slot and its kind. */
  readonly slot: Int32Array;
  readonly kind: Uint8Array;
}

/** Collects the values' places while the writer writes a row without them. */
export class TemplateRecorder {
  private readonly at: number[] = [];
  private readonly slot: number[] = [];
  private readonly kind: number[] = [];

  /** A value of `slot` goes at byte `offset` of the row. */
  hole(offset: number, slot: number, kind: number): void {
    this.at.push(offset);
    this.slot.push(slot);
    this.kind.push(kind);
  }

  /** Forgets the values recorded so far. */
  clear(): void {
    this.at.length = 0;
    this.slot.length = 0;
    this.kind.length = 0;
  }

  /** The template of the row written since clear() (`row` is copied). */
  take(row: Uint8Array): RowTemplate {
    // Separate buffers, not offsets into one: a whole small array copies several times faster
    // (TypedArray set) than a byte loop or a subarray.
    const cuts = [0, ...this.at, row.length];
    const template: RowTemplate = {
      text: cuts.slice(1).map((end, i) => Buffer.from(row.subarray(cuts[i], end))),
      slot: Int32Array.from(this.slot),
      kind: Uint8Array.from(this.kind),
    };
    this.clear();
    return template;
  }
}

/** A shape's key: one bit per NULL slot. Tables of more slots than this get no templates. */
export const MAX_TEMPLATE_WIDTH = 30;
/** Shapes kept per table: a few in practice (which registers were ever written). */
export const MAX_TEMPLATES = 64;
