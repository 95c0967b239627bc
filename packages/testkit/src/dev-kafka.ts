import { readEndpoints } from "./endpoints.ts";

/** The `kafka` section of a replicator config for the development stack. */
export interface DevKafka {
  readonly brokers: string[];
  readonly replicationFactor: 1;
  readonly topic: { readonly minInsyncReplicas: 1 };
}

/**
 * The replicator config's `kafka` section for the stack's single broker. The replicator defaults
 * to production's 3 replicas with 2 in sync and refuses a smaller cluster, so every development
 * and test config says 1 and 1 here, in one place.
 * @throws when `brokers` is not given and .stack/endpoints.json is missing (see readEndpoints).
 */
export function devKafka(brokers: readonly string[] = readEndpoints().kafka.brokers): DevKafka {
  return { brokers: [...brokers], replicationFactor: 1, topic: { minInsyncReplicas: 1 } };
}
