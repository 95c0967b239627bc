/** One Kafka record to produce; the partition is always explicit. */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: string | Buffer | null;
  readonly value: Buffer;
}
