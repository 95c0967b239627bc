import { quoteIdent } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";

export const READER_ROLE = "georep_reader";
export const MERGER_ROLE = "georep_merger";
/**
 * Peers' automatic repair reads this region with it (their `peers[].postgres`): SELECT on the
 * engine tables repair reads and on the state, nothing else; no REPLICATION, no lease.
 */
export const PEER_ROLE = "georep_peer";
/** Owns the user-row functions (user-row-functions.ts); never logs in. */
export const ROW_WRITER_ROLE = "georep_rowwriter";

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
  BEGIN
    CREATE ROLE ${PEER_ROLE} LOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
END $$;
GRANT USAGE ON SCHEMA georep TO ${READER_ROLE}, ${MERGER_ROLE}, ${PEER_ROLE};
GRANT SELECT ON georep.settings, georep.regions TO ${READER_ROLE}, ${MERGER_ROLE};
GRANT SELECT ON georep.collection_holds TO ${MERGER_ROLE};
-- What peers' repair reads besides the state tables (tableGrantsSql): whose database this is
-- (database-check.ts) and what it applied of theirs (peer-progress.ts).
GRANT SELECT ON georep.settings, georep.progress TO ${PEER_ROLE};
-- Merges lock the leader row FOR KEY SHARE to check the epoch; a row lock needs UPDATE on some
-- column, and this one is never written by merges.
GRANT SELECT, UPDATE (renewed_at) ON georep.leader TO ${MERGER_ROLE};
-- The capture role holds the leadership lease: the lease goes with the slot it guards
-- (docs/security.md, "Least privilege"); merge-only workers never take it.
GRANT SELECT, UPDATE ON georep.leader TO ${READER_ROLE};
GRANT SELECT, INSERT, UPDATE ON georep.heartbeat TO ${READER_ROLE};
GRANT SELECT, INSERT, DELETE ON georep.resync TO ${READER_ROLE};
GRANT SELECT ON georep.heartbeat TO ${MERGER_ROLE};
-- Capture's heartbeat reports what was applied; older peers' configs may read with this login.
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
-- New incarnations go through georep.switch_incarnation (incarnation-switch.ts), which checks
-- them; capture only marks one attached.
REVOKE INSERT, UPDATE ON georep.incarnations FROM ${READER_ROLE};
GRANT SELECT, UPDATE (attached_at) ON georep.incarnations TO ${READER_ROLE};
GRANT SELECT, UPDATE (repaired_at) ON georep.incarnations TO ${MERGER_ROLE};
GRANT SELECT ON georep.installed TO ${READER_ROLE}, ${MERGER_ROLE};
GRANT SELECT, INSERT ON georep.audit TO ${MERGER_ROLE};
GRANT USAGE ON SEQUENCE georep.audit_id_seq TO ${MERGER_ROLE};`;

/**
 * The user-row functions' owner, created whenever a table is installed (databases whose migrations
 * ran before it existed get it too). An installing login that is not a superuser becomes a member
 * so that it may hand the functions over (ALTER FUNCTION … OWNER needs that).
 */
export const ROW_WRITER_ROLE_SQL = `DO $$ BEGIN
  -- Cluster-wide, and several databases of one cluster may install at once (as ROLES_SQL).
  BEGIN
    CREATE ROLE ${ROW_WRITER_ROLE} NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  -- A superuser needs no membership; a concurrent installer may have granted it meanwhile.
  IF NOT pg_has_role(current_user, '${ROW_WRITER_ROLE}', 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT ${ROW_WRITER_ROLE} TO %I', current_user);
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
  END IF;
END $$;`;

/**
 * Least privilege per table: the reader only reads state (it re-emits it after a lost slot);
 * the merger merges state, and writes user rows only through the installed user-row functions
 * (user-row-functions.ts): it reads the user table but holds no write on it. The REVOKE takes
 * back what installs before those functions granted.
 */
export function tableGrantsSql(layout: StateLayout): string {
  return `GRANT SELECT ON ${layout.stateTable}, ${layout.visibleView} TO ${READER_ROLE};
GRANT SELECT ON ${layout.stateTable} TO ${PEER_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ${layout.stateTable} TO ${MERGER_ROLE};
GRANT SELECT ON ${layout.visibleView} TO ${MERGER_ROLE};
GRANT USAGE ON SCHEMA ${quoteIdent(layout.spec.schema)} TO ${MERGER_ROLE};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${layout.userTable} FROM ${MERGER_ROLE};
GRANT SELECT ON ${layout.userTable} TO ${MERGER_ROLE};
GRANT USAGE ON SCHEMA georep, ${quoteIdent(layout.spec.schema)} TO ${ROW_WRITER_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ${layout.userTable} TO ${ROW_WRITER_ROLE};
GRANT SELECT ON ${layout.visibleView} TO ${ROW_WRITER_ROLE};`;
}
