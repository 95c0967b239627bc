// The messages of pgoutput protocol v1 as our decoder (pgoutput.ts) returns them.
import type { Lsn } from "./lsn.ts";
import type { TupleSpans } from "./tuple-spans.ts";
import type { Values } from "./values.ts";

export interface RelationColumn {
  readonly name: string;
  /** 1 = part of the replica identity key. */
  readonly flags: number;
  readonly typeOid: number;
  readonly typeMod: number;
}

export interface Relation {
  readonly id: number;
  readonly schema: string;
  readonly name: string;
  /** pg_class.relreplident as a character: d, n, f or i. */
  readonly replicaIdentity: string;
  readonly columns: readonly RelationColumn[];
}

/** Where a relation's values go: `slots[i]` is the output index of column i, or -1 (skipped). */
export interface TuplePlan {
  readonly width: number;
  readonly slots: Int32Array;
}

export type PgoutputMessage<P extends TuplePlan> =
  | {
      readonly tag: "begin";
      readonly finalLsn: Lsn;
      readonly commitTime: number;
      readonly xid: number;
    }
  | {
      readonly tag: "commit";
      readonly commitLsn: Lsn;
      readonly endLsn: Lsn;
      readonly commitTime: number;
    }
  | { readonly tag: "relation"; readonly relation: Relation }
  | {
      readonly tag: "insert" | "update";
      readonly relation: Relation;
      readonly plan: P | undefined;
      /** The new tuple's planned columns (undefined without a plan); valid until the next decode(). */
      readonly tuple: TupleSpans | undefined;
      /** An update's full old tuple (REPLICA IDENTITY FULL): fills unknown slots of `tuple`. */
      readonly old: Values | undefined;
    }
  | { readonly tag: "delete"; readonly relation: Relation }
  | { readonly tag: "truncate"; readonly relations: readonly Relation[] }
  | { readonly tag: "origin"; readonly originLsn: Lsn; readonly name: string }
  | {
      readonly tag: "type";
      readonly typeOid: number;
      readonly schema: string;
      readonly name: string;
    }
  | {
      readonly tag: "message";
      readonly transactional: boolean;
      readonly messageLsn: Lsn;
      readonly prefix: string;
      readonly content: Buffer;
    };
