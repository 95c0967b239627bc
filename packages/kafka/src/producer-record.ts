/** One Kafka record to produce; the partition is always explicit. */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: string | Buffer | null;
  readonly value: Buffer;
  /** Record headers (an envelope's signature, docs/security.md). */
  readonly headers?: Readonly<Record<string, string>>;
}
