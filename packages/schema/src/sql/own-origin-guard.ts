// A state row under the region's current replica is shipped to every peer, signed by this region
// (publication.ts): it speaks for the region. Only the capture trigger writes such rows, and only
// tombstone collection removes them. Guards on every state table refuse the rest to any session
// logged in as the merge role, whatever it runs (a direct statement, a trigger on a temp table of
// its own, the merge function): an insert, an update to or from that origin (an origin moved
// away, or a lowered row, makes the capture trigger ship a lower running total that peers ignore),
// and a delete outside the collection function (collect-function.ts). A stolen merge password can
// then damage its own region's view, never what the region tells the others (docs/security.md).
//
// The session's login (session_user), not current_user: SECURITY DEFINER functions and SET ROLE
// change the latter; a delete is let through only inside a SECURITY DEFINER function (current_user
// differs), which for the merge role means the collection function. "The merge role" is a login
// holding its privileges (pg_has_role USAGE: an inheriting membership, so not PostgreSQL 16's
// automatic, non-inheriting grant to the role's creator). Superusers hold every role's: the
// function tells them apart (the installer's backfill and the tests write as one).
import { quoteIdent, quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import type { LocalReplica } from "./capture-trigger.ts";
import { MERGER_ROLE } from "./roles.ts";

const REFUSE_FN = "georep.refuse_own_origin";

const REFUSE_SQL = `CREATE OR REPLACE FUNCTION ${REFUSE_FN}() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $georep$
BEGIN
  IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'georep: % of a state row under this region''s current replica by the merge role: only the capture trigger writes those, and only tombstone collection removes them', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$georep$;`;

/** The guards of one state table, for the replica local writes count under now. */
export function ownOriginGuardSql(layout: StateLayout, local: LocalReplica): string {
  const own = quoteLiteral(local.replica);
  const merge = `pg_catalog.pg_has_role(session_user, '${MERGER_ROLE}', 'USAGE')`;
  const guards: Array<[string, string, string]> = [
    ["ins", "INSERT", `NEW.origin = ${own}`],
    ["upd", "UPDATE", `(OLD.origin = ${own} OR NEW.origin = ${own})`],
    ["del", "DELETE", `OLD.origin = ${own} AND current_user = session_user`],
  ];
  // The origin test first: the role check runs only for this replica's rows.
  return `${REFUSE_SQL}
${guards
  .map(([tag, op, when]) => {
    const name = quoteIdent(`guard_${tag}__${layout.spec.name}`);
    return `DROP TRIGGER IF EXISTS ${name} ON ${layout.stateTable};
CREATE TRIGGER ${name} BEFORE ${op} ON ${layout.stateTable} FOR EACH ROW
  WHEN (${when} AND ${merge}) EXECUTE FUNCTION ${REFUSE_FN}();`;
  })
  .join("\n")}`;
}
