import type { Lsn } from "./lsn.ts";

export class PgoutputDecodeError extends Error {
  override readonly name = "PgoutputDecodeError";
}

/** Milliseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/** Reads big-endian fields of one message, checking every length against the payload. */
export class Cursor {
  constructor(
    readonly b: Buffer,
    public p: number,
  ) {}
  need(n: number): void {
    if (this.p + n > this.b.length)
      throw new PgoutputDecodeError(
        `pgoutput message truncated at byte ${this.p} (${n} more needed, ${this.b.length} total)`,
      );
  }
  u8(): number {
    this.need(1);
    return this.b.readUInt8(this.p++);
  }
  i16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.p);
    this.p += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.p);
    this.p += 4;
    return v;
  }
  lsn(): Lsn {
    this.need(8);
    const v =
      (BigInt(this.b.readUInt32BE(this.p)) << 32n) | BigInt(this.b.readUInt32BE(this.p + 4));
    this.p += 8;
    return v as Lsn;
  }
  /** A TimestampTz (µs since 2000-01-01) as Unix ms. */
  time(): number {
    this.need(8);
    const v = this.b.readBigInt64BE(this.p);
    this.p += 8;
    return Number(v / 1000n) + PG_EPOCH_MS;
  }
  cstring(): string {
    const end = this.b.indexOf(0, this.p);
    if (end < 0)
      throw new PgoutputDecodeError(`pgoutput string not terminated (from byte ${this.p})`);
    const s = this.b.toString("utf8", this.p, end);
    this.p = end + 1;
    return s;
  }
}
