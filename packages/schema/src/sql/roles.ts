import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";

export const READER_ROLE = "georep_reader";
export const MERGER_ROLE = "georep_merger";

/** Roles are cluster-wide; create them once, quietly, whatever database installs first. */
export const ROLES_SQL = `DO $$ BEGIN
  -- Roles are cluster-wide and several databases of one cluster may install at once: a role
  -- created by a concurrent installer is fine.
  BEGIN
    CREATE ROLE ${READER_ROLE} LOGIN REPLICATION;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE ${MERGER_ROLE} LOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
END $$;
GRANT USAGE ON SCHEMA georep TO ${READER_ROLE}, ${MERGER_ROLE};
GRANT SELECT ON georep.settings, georep.regions TO ${READER_ROLE}, ${MERGER_ROLE};
-- Merges lock the leader row FOR KEY SHARE to check the epoch; a row lock needs UPDATE on some
-- column, and this one is never written by merges.
GRANT SELECT, UPDATE (renewed_at) ON georep.leader TO ${MERGER_ROLE};
-- The capture role holds the leadership lease: the lease goes with the slot it guards
-- (docs/security.md, "Least privilege"); merge-only workers never take it.
GRANT SELECT, UPDATE ON georep.leader TO ${READER_ROLE};
GRANT SELECT, INSERT, UPDATE ON georep.heartbeat TO ${READER_ROLE};
GRANT SELECT, INSERT, DELETE ON georep.resync TO ${READER_ROLE};
GRANT SELECT ON georep.heartbeat TO ${MERGER_ROLE};
-- Peers' repair reads what this region has applied of theirs (georep_reader is their login here).
GRANT SELECT ON georep.progress TO ${READER_ROLE};
GRANT SELECT, INSERT, UPDATE ON georep.progress TO ${MERGER_ROLE};
GRANT SELECT, INSERT, DELETE ON georep.conflicts TO ${MERGER_ROLE};
GRANT USAGE ON SEQUENCE georep.conflicts_id_seq TO ${MERGER_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON georep.quarantine TO ${MERGER_ROLE};
GRANT USAGE ON SEQUENCE georep.quarantine_id_seq TO ${MERGER_ROLE};
GRANT SELECT, INSERT, UPDATE ON georep.gaps TO ${MERGER_ROLE};
-- Tombstone collection: the merger records peers' heartbeats and what it applied; the reader's
-- heartbeat reports the latter.
GRANT SELECT, INSERT, UPDATE, DELETE ON georep.peer_progress, georep.applied TO ${MERGER_ROLE};
GRANT SELECT ON georep.applied TO ${READER_ROLE};
-- The audit trail: the commands that run as the merge role (repair, dlq replay, rehome, membership
-- changes) record themselves and georep audit lists it; never UPDATE or DELETE (append-only).
-- Capture attaches to (and on lost history starts) an incarnation; repair marks one repaired;
-- the read cache names the newest.
GRANT SELECT, INSERT, UPDATE ON georep.incarnations TO ${READER_ROLE};
GRANT SELECT, UPDATE (repaired_at) ON georep.incarnations TO ${MERGER_ROLE};
GRANT SELECT ON georep.installed TO ${READER_ROLE}, ${MERGER_ROLE};
GRANT SELECT, INSERT ON georep.audit TO ${MERGER_ROLE};
GRANT USAGE ON SEQUENCE georep.audit_id_seq TO ${MERGER_ROLE};`;

/**
 * Least privilege per table: the reader only reads state (it re-emits it after a lost slot);
 * the merger merges state, and writes user rows only through the installed user-row functions
 * (user-row-functions.ts): it reads the user table but holds no write on it. The REVOKE takes
 * back what installs before those functions granted.
 */
export function tableGrantsSql(layout: StateLayout): string {
  return `GRANT SELECT ON ${layout.stateTable}, ${layout.visibleView} TO ${READER_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ${layout.stateTable} TO ${MERGER_ROLE};
GRANT SELECT ON ${layout.visibleView} TO ${MERGER_ROLE};
GRANT USAGE ON SCHEMA ${quoteIdent(layout.spec.schema)} TO ${MERGER_ROLE};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${layout.userTable} FROM ${MERGER_ROLE};
GRANT SELECT ON ${layout.userTable} TO ${MERGER_ROLE};`;
}
