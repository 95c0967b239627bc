import {
  ENVELOPE_VERSION,
  encodeEnvelope,
  originTopic,
  partitionOf,
  topicForRow,
} from "@georep/contract";
import type { EnvelopeSigner } from "@georep/contract";
import type { ProducerRecord } from "@georep/kafka";
import type { CaptureBatch, ShipRow } from "@georep/reader";
import { formatLsn } from "@georep/reader";

export interface RouteOptions {
  readonly origin: string;
  readonly partitions: number;
  /** Upper bound of one envelope of several rows (default 512 KiB); a larger row goes alone. */
  readonly maxMessageBytes: number;
  /** Every topic heartbeats go to (the origin topic and its zone topics). */
  readonly heartbeatTopics: readonly string[];
  /** Signs every record, rows and heartbeats alike (absent: unsigned, development only). */
  readonly signer?: EnvelopeSigner | undefined;
}

/**
 * Splits a batch into Kafka records: rows grouped per (topic, partition) into `rows` envelopes
 * of at most `maxMessageBytes` (a single larger row goes alone), a zone row only ever on its zone
 * topic, plus one heartbeat envelope per partition of every heartbeat topic. Pure.
 *
 * Rows arrive as JSON bytes (the reader's slice-json.ts), so an envelope is cut to size exactly
 * and assembled by copying: header, the rows' bytes separated by commas, `]}`.
 *
 * With a signer every record carries its signature headers: heartbeats too, since their progress
 * decides what tombstone collection may delete (docs/security.md, "Envelope signing").
 */
export function routeBatch(batch: CaptureBatch, o: RouteOptions): ProducerRecord[] {
  const common = {
    v: ENVELOPE_VERSION,
    origin: o.origin,
    // Incarnation 1 is the bare region id: its envelopes stay as they were before incarnations.
    ...(batch.replica === o.origin ? {} : { replica: batch.replica }),
    lsn: formatLsn(batch.lsn),
    commitTime: batch.commitTime,
  } as const;
  // zone (null = the origin topic) -> partition -> rows
  const zones = new Map<string | null, (ShipRow[] | undefined)[]>();
  for (const row of batch.rows) {
    let partitions = zones.get(row.zone);
    if (partitions === undefined) {
      partitions = new Array<ShipRow[] | undefined>(o.partitions);
      zones.set(row.zone, partitions);
    }
    (partitions[partitionOf(row.rowKey, o.partitions)] ??= []).push(row);
  }
  const records: ProducerRecord[] = [];
  const signer = o.signer;
  const push = (topic: string, partition: number, value: Buffer): void => {
    records.push(
      signer === undefined
        ? { topic, partition, key: null, value }
        : { topic, partition, key: null, value, headers: signer.headers(topic, partition, value) },
    );
  };
  const head = `${JSON.stringify({ kind: "rows", ...common }).slice(0, -1)},"rows":[`;
  const headBytes = Buffer.byteLength(head);
  const emit = (
    topic: string,
    partition: number,
    rows: ShipRow[],
    from: number,
    to: number,
    bytes: number,
  ): void => {
    const value = Buffer.allocUnsafe(bytes);
    let at = value.write(head, 0, "utf8");
    for (let i = from; i < to; i++) {
      const row = rows[i] as ShipRow;
      if (i > from) value[at++] = 0x2c; // ,
      at += row.text.copy(value, at, row.start, row.end);
    }
    value[at++] = 0x5d; // ]
    value[at] = 0x7d; // }
    push(topic, partition, value);
  };
  for (const [zone, partitions] of zones) {
    const topic = topicForRow(o.origin, zone);
    for (let partition = 0; partition < partitions.length; partition++) {
      const rows = partitions[partition];
      if (rows === undefined) continue;
      let from = 0;
      let bytes = headBytes + 2; // `]}`
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as ShipRow;
        const size = row.end - row.start + (i > from ? 1 : 0);
        if (i > from && bytes + size > o.maxMessageBytes) {
          emit(topic, partition, rows, from, i, bytes);
          from = i;
          bytes = headBytes + 2 + size - 1;
        } else bytes += size;
      }
      emit(topic, partition, rows, from, rows.length, bytes);
    }
  }
  if (batch.heartbeat !== undefined) {
    const topics = o.heartbeatTopics.length === 0 ? [originTopic(o.origin)] : o.heartbeatTopics;
    for (const topic of topics) {
      for (let p = 0; p < o.partitions; p++) {
        push(
          topic,
          p,
          encodeEnvelope({
            kind: "heartbeat",
            ...common,
            stamp: batch.heartbeat.stamp,
            ...(batch.heartbeat.progress === undefined
              ? {}
              : { progress: batch.heartbeat.progress }),
          }),
        );
      }
    }
  }
  return records;
}

/** Topics a batch writes to (so unseen zone topics can be created before sending). */
export function topicsOf(records: readonly ProducerRecord[]): Set<string> {
  return new Set(records.map((r) => r.topic));
}
