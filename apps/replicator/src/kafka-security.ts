import type { KafkaSecurity as ClientSecurity } from "@georep/kafka";
import type { ReplicatorConfig } from "./config.ts";

/**
 * The Kafka client's `security` from the config's kafka.tls/sasl (the password revealed here, at
 * the client, only); an empty object without them, to spread into client options.
 */
export function kafkaSecurityOption(config: ReplicatorConfig): { security?: ClientSecurity } {
  const s = config.kafkaSecurity;
  if (s === undefined) return {};
  return {
    security: {
      ca: s.ca,
      sasl: {
        mechanism: s.sasl.mechanism,
        username: s.sasl.username,
        password: s.sasl.password.reveal(),
      },
    },
  };
}
