// A minimal pgoutput (protocol v1) decoder over the XLogData payloads of the replication stream
// (https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html).
//
// Why not pg-logical-replication's parser: it builds a dictionary object per tuple, decodes every
// value through TextDecoder over a Buffer slice and LSNs as strings. Here a relation gets a plan
// once (which columns matter, into which slot of a fixed-width row); a planned tuple is decoded
// into positions in the frame (TupleSpans), not strings, and tuples of relations without a plan
// are walked (framing checked) but not decoded. Values stay PostgreSQL text: `null` is SQL NULL,
// `undefined` an unchanged TOAST value (or a column the relation lacks).
import { Cursor, PgoutputDecodeError } from "./pgoutput-cursor.ts";
import type { PgoutputMessage, Relation, RelationColumn, TuplePlan } from "./pgoutput-types.ts";
import { NULL_SPAN, TupleSpans } from "./tuple-spans.ts";
import type { Values } from "./values.ts";

export { PgoutputDecodeError } from "./pgoutput-cursor.ts";
export type { PgoutputMessage, Relation, RelationColumn, TuplePlan } from "./pgoutput-types.ts";

interface Known<P> {
  readonly relation: Relation;
  readonly plan: P | undefined;
  /** Reused for every tuple of the relation (planned relations only). */
  readonly spans: TupleSpans | undefined;
}

export class PgoutputDecoder<P extends TuplePlan> {
  private readonly relations = new Map<number, Known<P>>();

  /** `planFor` is asked once per Relation message; undefined = do not decode its tuples. */
  constructor(private readonly planFor: (relation: Relation) => P | undefined) {}

  /** @throws PgoutputDecodeError on a malformed, truncated or unknown message. */
  decode(payload: Buffer, offset = 0): PgoutputMessage<P> {
    const c = new Cursor(payload, offset);
    const tag = c.u8();
    switch (tag) {
      case 0x42 /* B */:
        return { tag: "begin", finalLsn: c.lsn(), commitTime: c.time(), xid: c.i32() >>> 0 };
      case 0x43 /* C */: {
        c.u8(); // flags, unused
        return { tag: "commit", commitLsn: c.lsn(), endLsn: c.lsn(), commitTime: c.time() };
      }
      case 0x52 /* R */:
        return { tag: "relation", relation: this.relation(c) };
      case 0x49 /* I */: {
        const { relation, plan, spans } = this.lookup(c.i32());
        if (c.u8() !== 0x4e) throw new PgoutputDecodeError("pgoutput insert without a new tuple");
        this.tuple(c, relation, plan, spans);
        return { tag: "insert", relation, plan, tuple: spans, old: undefined };
      }
      case 0x55 /* U */: {
        const { relation, plan, spans } = this.lookup(c.i32());
        let sub = c.u8();
        let old: Values | undefined;
        if (sub === 0x4b /* K */ || sub === 0x4f /* O */) {
          // A key-only old tuple carries placeholders, not values: walked, not decoded. A full
          // one (REPLICA IDENTITY FULL) is kept as text: it fills unchanged columns of the new.
          const full = sub === 0x4f ? spans : undefined;
          this.tuple(c, relation, plan, full);
          old = full?.values();
          sub = c.u8();
        }
        if (sub !== 0x4e)
          throw new PgoutputDecodeError(
            `pgoutput update: unexpected submessage 0x${sub.toString(16)}`,
          );
        this.tuple(c, relation, plan, spans);
        return { tag: "update", relation, plan, tuple: spans, old };
      }
      case 0x44 /* D */: {
        const { relation } = this.lookup(c.i32());
        const sub = c.u8();
        if (sub !== 0x4b && sub !== 0x4f)
          throw new PgoutputDecodeError(
            `pgoutput delete: unexpected submessage 0x${sub.toString(16)}`,
          );
        this.tuple(c, relation, undefined, undefined);
        return { tag: "delete", relation };
      }
      case 0x54 /* T */: {
        const n = c.i32();
        c.u8(); // option bits: cascade, restart identity
        const relations: Relation[] = [];
        for (let i = 0; i < n; i++) relations.push(this.lookup(c.i32()).relation);
        return { tag: "truncate", relations };
      }
      case 0x4f /* O */:
        return { tag: "origin", originLsn: c.lsn(), name: c.cstring() };
      case 0x59 /* Y */:
        return { tag: "type", typeOid: c.i32() >>> 0, schema: c.cstring(), name: c.cstring() };
      case 0x4d /* M */: {
        const flags = c.u8();
        const messageLsn = c.lsn();
        const prefix = c.cstring();
        const length = c.i32();
        c.need(length);
        return {
          tag: "message",
          transactional: (flags & 1) === 1,
          messageLsn,
          prefix,
          content: payload.subarray(c.p, (c.p += length)),
        };
      }
      default:
        throw new PgoutputDecodeError(`unknown pgoutput message 0x${tag.toString(16)}`);
    }
  }

  private lookup(id: number): Known<P> {
    const entry = this.relations.get(id);
    if (entry === undefined)
      throw new PgoutputDecodeError(
        `pgoutput change of relation ${id >>> 0} before its Relation message`,
      );
    return entry;
  }

  private relation(c: Cursor): Relation {
    const id = c.i32();
    const schema = c.cstring();
    const name = c.cstring();
    const replicaIdentity = String.fromCharCode(c.u8());
    const n = c.i16();
    const columns: RelationColumn[] = [];
    for (let i = 0; i < n; i++) {
      const flags = c.u8();
      const column = c.cstring();
      columns.push({ flags, name: column, typeOid: c.i32() >>> 0, typeMod: c.i32() });
    }
    const relation: Relation = { id: id >>> 0, schema, name, replicaIdentity, columns };
    const plan = this.planFor(relation);
    const spans = plan === undefined ? undefined : new TupleSpans(plan.width);
    this.relations.set(id, { relation, plan, spans });
    return relation;
  }

  /** Reads TupleData; records where the planned columns lie in `spans` (if given). */
  private tuple(
    c: Cursor,
    relation: Relation,
    plan: P | undefined,
    spans: TupleSpans | undefined,
  ): void {
    const n = c.i16();
    if (n > relation.columns.length)
      throw new PgoutputDecodeError(
        `pgoutput tuple of ${relation.schema}.${relation.name} has ${n} columns, the relation ${relation.columns.length}`,
      );
    spans?.reset(c.b);
    const slots = spans === undefined ? undefined : plan?.slots;
    for (let i = 0; i < n; i++) {
      const kind = c.u8();
      const slot = slots === undefined ? -1 : (slots[i] ?? -1);
      if (kind === 0x74 /* t */ || kind === 0x62 /* b */) {
        const length = c.i32();
        if (length < 0)
          throw new PgoutputDecodeError(`pgoutput value of negative length ${length}`);
        c.need(length);
        if (slot >= 0 && spans !== undefined) {
          if (kind === 0x62)
            throw new PgoutputDecodeError(
              `pgoutput binary value in ${relation.name}.${relation.columns[i]?.name ?? i}: only text is supported`,
            );
          spans.start[slot] = c.p;
          spans.end[slot] = c.p + length;
        }
        c.p += length;
      } else if (kind === 0x6e /* n */) {
        if (slot >= 0 && spans !== undefined) spans.start[slot] = NULL_SPAN;
      } else if (kind !== 0x75 /* u: unchanged TOAST, the slot stays unknown */) {
        throw new PgoutputDecodeError(`unknown pgoutput tuple value kind 0x${kind.toString(16)}`);
      }
    }
  }
}
