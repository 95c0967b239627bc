/**
 * The byte builder every reader test writes pgoutput frames with (node-postgres style): each field
 * in wire order and big-endian, as PostgreSQL's "Logical Replication Message Formats" lists them.
 */
export class Bytes {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  char(c: string): this {
    return this.u8(c.charCodeAt(0));
  }
  i16(v: number): this {
    return this.fixed(2, (b) => b.writeInt16BE(v));
  }
  i32(v: number): this {
    return this.fixed(4, (b) => b.writeInt32BE(v));
  }
  i64(v: bigint): this {
    return this.fixed(8, (b) => b.writeBigInt64BE(v));
  }
  cstring(s: string): this {
    this.parts.push(Buffer.from(s, "utf8"), Buffer.from([0]));
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** TupleData: the column count, then 'n' (NULL), 'u' (unchanged TOAST) or 't', length, text. */
  tuple(values: readonly TupleValue[]): this {
    this.i16(values.length);
    for (const v of values) {
      if (v === null) this.char("n");
      else if (v === UNCHANGED) this.char("u");
      else {
        const bytes = Buffer.from(v, "utf8");
        this.char("t").i32(bytes.length).raw(bytes);
      }
    }
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
  private fixed(size: number, write: (b: Buffer) => number): this {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
}

/** A TOASTed value the change did not touch: pgoutput sends 'u' and no bytes. */
export const UNCHANGED = Symbol("unchanged TOAST");
/** A column in TupleData: its text, SQL NULL, or UNCHANGED. */
export type TupleValue = string | null | typeof UNCHANGED;

/**
 * A Relation message with replica identity default and every column text (type OID 25, no
 * typmod); the first `keyColumns` columns are flagged as part of the key.
 */
export function relationFrame(
  id: number,
  schema: string,
  name: string,
  columns: readonly string[],
  keyColumns = 0,
): Buffer {
  const b = new Bytes().char("R").i32(id).cstring(schema).cstring(name).char("d");
  b.i16(columns.length);
  for (const [i, c] of columns.entries())
    b.u8(i < keyColumns ? 1 : 0)
      .cstring(c)
      .i32(25)
      .i32(-1);
  return b.build();
}

/**
 * `message` as the walsender sends it: inside XLogData, whose 25-byte header ('w', the WAL start
 * and end, the send time) stays in front of the pgoutput message the decoder reads at offset 25.
 */
export function xlogData(message: Buffer, walStart = 0n, walEnd = 0n, sendTime = 0n): Buffer {
  return new Bytes().char("w").i64(walStart).i64(walEnd).i64(sendTime).raw(message).build();
}
