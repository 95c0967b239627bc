// The reader: one region's logical-replication capture, in layers whose imports point down only
// (lint enforces it):
//   reader.ts  assembles prepare/ and stream/ (they never import each other)
//   prepare/   before streaming: slot state, incarnations, lost history, own-state emit
//   stream/    while streaming: messages ──▶ flush window (coalescing) ──▶ flush
//   slice/     the contract RowSlice of a state row, as objects or written as JSON bytes
//   ledger.ts  the received and durable positions, which prepare/ starts and stream/ advances;
//              sink.ts, what goes to the shipper; errors.ts
//   postgres/  the wire: Lsn, the replication session, pgoutput decoding, tuples, the slot
export type { Lsn } from "./postgres/lsn.ts";
export {
  ZERO_LSN,
  parseLsn,
  formatLsn,
  compareLsn,
  maxLsn,
  lsnFromBigInt,
} from "./postgres/lsn.ts";
export { ReaderError, SlotInvalidatedError, isSlotInvalidated } from "./errors.ts";
export { createReader } from "./reader.ts";
export type { Reader, ReaderOptions, ReaderStatus } from "./reader-types.ts";
export type { CaptureBatch, CaptureSink, Heartbeat, ShipRow } from "./sink.ts";
export type { ShippedMark } from "./prepare/lost-history.ts";
export { tableCodec, DecodeError } from "./postgres/tuple.ts";
export type { TableCodec, Tuple } from "./postgres/tuple.ts";
export { PgoutputDecoder, PgoutputDecodeError } from "./postgres/pgoutput.ts";
export type { PgoutputMessage, Relation, RelationColumn, TuplePlan } from "./postgres/pgoutput.ts";
export type { Values } from "./postgres/values.ts";
export { TupleSpans } from "./postgres/tuple-spans.ts";
export { tupleToSlice, valuesToSlice } from "./slice/slice.ts";
export { rowWriter, frameRowWriter } from "./slice/slice-json.ts";
export type { RowWriter, FrameRowWriter, WrittenRow } from "./slice/slice-json.ts";
export { createCoalescer } from "./stream/coalesce.ts";
export type { Coalescer, CoalescedRow, ValuesRow } from "./stream/coalesce.ts";
export { createLedger } from "./ledger.ts";
export type { Ledger, Ticket } from "./ledger.ts";
export { createFlushWindow } from "./stream/window.ts";
export type { FlushWindow, WindowCut } from "./stream/window.ts";
export { startSlotMetrics, readSlot, WAL_STATUSES } from "./slot-metrics.ts";
export type { SlotMetrics, SlotMetricsOptions, SlotReading } from "./slot-metrics.ts";
