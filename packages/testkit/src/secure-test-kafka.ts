import type { Kafka } from "kafkajs";
import { readSecureEndpoints } from "./secure-endpoints.ts";
import { adminKafka } from "./secure-kafka.ts";

/**
 * A kafkajs client of the secure stack's broker logged in as its admin (super user), for what
 * only an operator does in a test: reading topic ends, deleting records. Silent, like testKafka.
 * @throws Error when the secure stack has no Kafka broker (start it: `pnpm stack secure up`).
 */
export function secureTestKafka(clientId = "georep-test"): Kafka {
  const endpoint = readSecureEndpoints().kafka;
  if (endpoint === undefined)
    throw new Error("the secure stack has no Kafka broker: run `pnpm stack secure up`");
  return adminKafka(endpoint, clientId);
}
