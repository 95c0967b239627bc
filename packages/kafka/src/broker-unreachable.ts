// Which consumer crashes mean only "the broker could not be reached for a while" (a restart, a
// network cut): kafkajs does not restart a consumer after these, since the error it ends with
// (e.g. KafkaJSGroupCoordinatorNotFound once its connection attempts failed) is marked
// non-retriable, although nothing but time and the broker's return is needed. kafkajs 2.2.4
// reports a refused group ACL with the same KafkaJSGroupCoordinatorNotFound: the consumer's
// restarts are bounded in time for that reason (consumer.ts).

const UNREACHABLE = new Set([
  "KafkaJSGroupCoordinatorNotFound",
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSBrokerNotFound",
  "KafkaJSRequestTimeoutError",
]);

/** Whether `error` or any error in its `cause` chain says a broker was unreachable. */
export function isBrokerUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; typeof e === "object" && e !== null && !seen.has(e);) {
    seen.add(e);
    const { name, cause } = e as { name?: unknown; cause?: unknown };
    if (typeof name === "string" && UNREACHABLE.has(name)) return true;
    e = cause;
  }
  return false;
}
