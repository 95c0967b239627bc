// How the replicator reaches its PostgreSQL, and as whom. Each job connects as the least
// privileged role that can do it (docs/security.md, "Least privilege"):
//
//   admin   the URL's user: `georep schema apply` (and installSchema), nothing else
//   capture georep_reader (REPLICATION): the slot, heartbeats, re-emits, and the leadership lease
//   merge   georep_merger: merges, repair, membership, the read cache
//   peer    georep_peer: never used here; peers' automatic repair reads this region with it
//
// Without `roles` every job uses the URL's user (a development setup). Passwords are secret
// references, never part of the URL.
import type { ClientConfig } from "pg";
import { MERGER_ROLE, PEER_ROLE, READER_ROLE, pgConnection } from "@georep/schema";
import { z } from "zod";
import { URL_WITHOUT_PASSWORD, readSecret, secretRefSchema } from "./secret.ts";
import { readCaFile } from "./tls-config.ts";
import type { Secret } from "./secret.ts";

export type PgJob = "admin" | "capture" | "merge";

/** A connection for one job: the URL (with the job's user) and its password, if any. */
export interface PgLogin {
  readonly url: string;
  readonly password: string | undefined;
}

const roleName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, {
  message: "must be a lower-case PostgreSQL role name",
});

/** A postgres:// URL without a password: passwords are secret references. */
export const postgresUrlSchema = z
  .url({ message: "must be a postgres:// connection URL" })
  .refine(...URL_WITHOUT_PASSWORD);

const loginSchema = (defaultUser: string) =>
  z.object({ user: roleName.default(defaultUser), password: secretRefSchema }).strict();

export const postgresConfigSchema = z
  .object({
    url: postgresUrlSchema,
    /** The password of the URL's user. */
    password: secretRefSchema.optional(),
    roles: z
      .object({
        capture: loginSchema(READER_ROLE),
        merge: loginSchema(MERGER_ROLE),
        /**
         * The read-only login peers' automatic repair uses on this region (their
         * `peers[].postgres`); this replicator never uses it, `georep schema apply` sets its
         * password.
         */
        peer: loginSchema(PEER_ROLE).optional(),
      })
      .strict()
      .refine(
        (r) =>
          r.peer === undefined || (r.peer.user !== r.capture.user && r.peer.user !== r.merge.user),
        {
          message:
            "must be a login of its own: peers would read with the capture or merge role's rights, and its password would replace that role's",
          path: ["peer", "user"],
        },
      )
      .optional(),
  })
  .strict();

type PostgresInput = z.output<typeof postgresConfigSchema>;

export interface PostgresConfig {
  readonly url: string;
  readonly password: Secret | undefined;
  readonly roles:
    | {
        readonly capture: { readonly user: string; readonly password: Secret };
        readonly merge: { readonly user: string; readonly password: Secret };
        readonly peer?: { readonly user: string; readonly password: Secret };
      }
    | undefined;
}

/**
 * Reads the secrets `parsed` names and checks the TLS root certificate the URL names.
 * `field` is where the block sits in the config (e.g. "postgres", "peers.0.postgres").
 * @throws ConfigError naming the field and the fix.
 */
export function resolvePostgres(
  parsed: PostgresInput,
  field: string,
  env: NodeJS.ProcessEnv = process.env,
): PostgresConfig {
  const root = new URL(parsed.url).searchParams.get("sslrootcert");
  if (root !== null && root !== "system")
    readCaFile(root, `${field}.url`, `${field}.url sslrootcert`);
  const login = (job: "capture" | "merge" | "peer") => {
    const r = parsed.roles?.[job];
    return r === undefined
      ? undefined
      : { user: r.user, password: readSecret(r.password, `${field}.roles.${job}.password`, env) };
  };
  const capture = login("capture");
  const merge = login("merge");
  const peer = login("peer");
  return {
    url: parsed.url,
    password:
      parsed.password === undefined
        ? undefined
        : readSecret(parsed.password, `${field}.password`, env),
    roles:
      capture === undefined || merge === undefined
        ? undefined
        : { capture, merge, ...(peer === undefined ? {} : { peer }) },
  };
}

/** The URL and password `job` connects with. */
export function pgLogin(config: PostgresConfig, job: PgJob): PgLogin {
  const role = job === "admin" ? undefined : config.roles?.[job];
  if (role === undefined) return { url: config.url, password: config.password?.reveal() };
  const url = new URL(config.url);
  url.username = role.user;
  return { url: url.toString(), password: role.password.reveal() };
}

/** `pgLogin` as node-postgres client options, to spread into a Client's or Pool's. */
export function pgClientConfig(config: PostgresConfig, job: PgJob): ClientConfig {
  const login = pgLogin(config, job);
  return pgConnection(login.url, login.password);
}
