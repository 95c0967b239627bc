import type { ClientConfig } from "pg";
import { parseIntoClientConfig } from "pg-connection-string";

/**
 * node-postgres options for a URL and a password kept apart from it. Given both as
 * `{ connectionString, password }`, node-postgres lets the URL's empty password win and
 * connects with none; so the URL is parsed here (sslmode and sslrootcert included) and the
 * password set beside it.
 */
export function pgConnection(url: string, password: string | undefined): ClientConfig {
  const parsed = parseIntoClientConfig(url);
  return password === undefined ? parsed : { ...parsed, password };
}
