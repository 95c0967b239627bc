// Starting a new incarnation recompiles what names the replica: every capture function (which
// writes local state under it), the own-origin guards (which keep merges off its rows) and the
// publication's row filters (which ship only its rows).
// Both belong to the installing login, and the job that starts an incarnation is capture, which
// runs as georep_reader (docs/security.md, "Least privilege"). So the installer compiles the switch
// into one SECURITY DEFINER function holding the compiled SQL as templates, EXECUTE granted to the
// reader only. It accepts only a new incarnation of this database's own region, so the capture
// login can at most do what capture does anyway: write under its own region's name.
import { quoteLiteral } from "../identifiers.ts";
import type { StateLayout } from "../layout.ts";
import { captureTriggerSql } from "./capture-trigger.ts";
import { ownOriginGuardSql } from "./own-origin-guard.ts";
import { publicationSql } from "./publication.ts";
import { READER_ROLE } from "./roles.ts";

export const SWITCH_INCARNATION_FN = "georep.switch_incarnation";

// Placeholders compiled into the templates and replaced in SQL: no replica id looks like the first
// (ids are a region id, '.', digits), and no stamp floor like the second (a floor is a stamp,
// milliseconds << 16, about 1.2e17 today).
const REPLICA_MARK = "__georep_replica__";
const FLOOR_MARK = 7_777_777_777_777_777_777n;

/** The switch function, for the tables installed now (recreated whenever they change). */
export function switchIncarnationSql(layouts: readonly StateLayout[], region: string): string {
  const local = { replica: REPLICA_MARK, stampFloor: FLOOR_MARK };
  // The templates hold $georep$-quoted bodies: the function's own body is quoted $switch$.
  const templates = [
    ...layouts.flatMap((l) => [captureTriggerSql(l, local), ownOriginGuardSql(l, local)]),
    publicationSql(layouts, { region, replica: REPLICA_MARK }, true),
  ];
  const run = (t: string): string =>
    `EXECUTE replace(replace($tpl$${t}$tpl$, ${quoteLiteral(quoteLiteral(REPLICA_MARK))}, quote_literal(g__replica)), ${quoteLiteral(FLOOR_MARK.toString())}, g__floor::text);`;
  const lock =
    layouts.length > 0
      ? `LOCK TABLE ${layouts.map((l) => l.userTable).join(", ")} IN SHARE MODE;`
      : "";
  // Bounds on what the caller computed (the floor scan runs before the writers are drained): an
  // incarnation number is about the current Unix second (crdt's nextIncarnation) and a floor is a
  // stamp of the past; a day's margin for clock skew. A floor near the bigint maximum would make
  // every later local write win every register everywhere, then overflow.
  return `CREATE OR REPLACE FUNCTION ${SWITCH_INCARNATION_FN}(g__replica text, g__incarnation bigint, g__reason text, g__floor bigint)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s' AS $switch$
DECLARE
  g__region text := (SELECT value FROM georep.settings WHERE key = 'region');
  g__day_ahead bigint := floor(extract(epoch FROM clock_timestamp())) + 86400;
BEGIN
  IF g__replica IS DISTINCT FROM g__region || '.' || g__incarnation
     OR g__incarnation <= (SELECT coalesce(max(incarnation), 0) FROM georep.incarnations)
     OR g__incarnation > g__day_ahead
     OR g__floor < 1 OR g__floor > (g__day_ahead * 1000) << 16 THEN
    RAISE EXCEPTION 'georep: % (incarnation %, floor %) is not a new incarnation of region %', g__replica, g__incarnation, g__floor, g__region
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Writers drain first: a transaction still writing under the old replica commits before.
  ${lock}
  INSERT INTO georep.incarnations (replica, incarnation, reason, system_identifier, timeline, database_oid, stamp_floor)
    SELECT g__replica, g__incarnation, g__reason, i.system_identifier, i.timeline, i.database_oid, g__floor FROM georep.db_identity() i;
  ${templates.map(run).join("\n  ")}
  -- What was just compiled is what the installer compiled, under a replica its hash does not
  -- name: the next schema apply recompiles each table once (no hash of the caller's is trusted; the column takes no NULL).
  UPDATE georep.installed SET spec_hash = '';
END
$switch$;
REVOKE ALL ON FUNCTION ${SWITCH_INCARNATION_FN}(text, bigint, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${SWITCH_INCARNATION_FN}(text, bigint, text, bigint) TO ${READER_ROLE};`;
}
