import type { Logger } from "@georep/observability";
import type { ReplicatorConfig } from "./config.ts";

const VERIFIED = new Set(["verify-full", "verify-ca"]);

/** The links `config` leaves unencrypted or unverified, by config field. Pure. */
export function plaintextLinks(config: ReplicatorConfig): string[] {
  const links: string[] = [];
  const pgVerified = (url: string): boolean =>
    VERIFIED.has(new URL(url).searchParams.get("sslmode") ?? "");
  if (!pgVerified(config.postgres.url)) links.push("postgres.url (sslmode=verify-full)");
  for (const [i, p] of config.peers.entries())
    if (!pgVerified(p.postgres.url)) links.push(`peers.${i}.postgres.url (sslmode=verify-full)`);
  if (config.kafkaSecurity === undefined) links.push("kafka (tls and sasl)");
  if (config.redis !== undefined && config.redisSecurity?.ca === undefined)
    links.push("redis (tls)");
  return links;
}

/**
 * One warning at start naming every link that is not TLS-verified: fine on a development stack,
 * a finding in production (docs/security.md).
 */
export function reportPlaintextLinks(config: ReplicatorConfig, log: Logger): void {
  const links = plaintextLinks(config);
  if (links.length > 0)
    log.warn(
      { links },
      "links without verified TLS: anyone on the network can read or change what crosses them; set the fields named (docs/security.md)",
    );
}
