// A state row under the region's current replica is shipped to every peer, signed by this region
// (publication.ts): it speaks for the region. Only the capture trigger writes such rows. The guard
// refuses them to any session logged in as the merge role, whatever it runs (a direct INSERT, a
// trigger on a temp table of its own, the merge function): a stolen merge password can damage
// its own region's view, never what the region tells the others (docs/security.md).
//
// The session's login (session_user), not current_user: SECURITY DEFINER functions and SET ROLE
// change the latter. Superusers are members of every role, so they are told apart explicitly:
// the installer (backfill) and tests write as one.
import { quoteIdent, quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import type { LocalReplica } from "./capture-trigger.ts";
import { MERGER_ROLE } from "./roles.ts";

export const IS_MERGE_LOGIN_FN = "georep.is_merge_login";

/** Whether this session logged in as the merge role (a member of it, not a superuser). */
export const IS_MERGE_LOGIN_SQL = `CREATE OR REPLACE FUNCTION ${IS_MERGE_LOGIN_FN}() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT pg_catalog.pg_has_role(session_user, '${MERGER_ROLE}', 'MEMBER')
    AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)
$$;`;

const REFUSE_FN = "georep.refuse_own_origin";

/** The guard of one state table, for the replica local writes count under now. */
export function ownOriginGuardSql(layout: StateLayout, local: LocalReplica): string {
  const trigger = quoteIdent(`guard_origin__${layout.spec.name}`);
  return `${IS_MERGE_LOGIN_SQL}
CREATE OR REPLACE FUNCTION ${REFUSE_FN}() RETURNS trigger LANGUAGE plpgsql AS $georep$
BEGIN
  RAISE EXCEPTION 'georep: state rows of this region''s current replica % are written only by the capture trigger, never by the merge role', NEW.origin
    USING ERRCODE = 'insufficient_privilege';
END
$georep$;
DROP TRIGGER IF EXISTS ${trigger} ON ${layout.stateTable};
-- The origin test first: the login check runs only for this replica's rows.
CREATE TRIGGER ${trigger} BEFORE INSERT OR UPDATE ON ${layout.stateTable} FOR EACH ROW
  WHEN (NEW.origin = ${quoteLiteral(local.replica)} AND ${IS_MERGE_LOGIN_FN}())
  EXECUTE FUNCTION ${REFUSE_FN}();`;
}
