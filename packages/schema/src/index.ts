export { SpecError, InstallError } from "./errors.ts";
export { sqlStateOf } from "./sqlstate.ts";
export { identifierSchema, quoteIdent, quoteLiteral } from "./identifiers.ts";
// Defined in @georep/contract; re-exported for callers that read their config through this package.
export { parseTableSpec, tableSpecSchema } from "./table-spec.ts";
export type { TableSpec, TableSpecInput, ColumnSpec, KeyColumnSpec } from "./table-spec.ts";
export { parseInstallConfig } from "./install-config.ts";
export type { InstallConfig } from "./install-config.ts";
export { stateLayout, componentColumns, stateColumnNames, ENGINE_SCHEMA } from "./layout.ts";
export type { StateLayout, CounterLayout, RegisterLayout } from "./layout.ts";
export { installSchema } from "./installer.ts";
export { COMPILER_VERSION } from "./spec-hash.ts";
export {
  currentIncarnation,
  identityChange,
  listIncarnations,
  markAttached,
  markRepaired,
  readIdentity,
  sameIdentity,
  startIncarnation,
} from "./incarnation.ts";
export type { DbIdentity, Incarnation } from "./incarnation.ts";
export type { LocalReplica } from "./sql/capture-trigger.ts";
export { regionOfOriginSql } from "./sql/visible-view.ts";
export {
  CANONICAL_TEXT_FUNCTION_SET,
  CANONICAL_TEXT_SETTINGS,
  CANONICAL_TEXT_SETTINGS_SQL,
  CANONICAL_TEXT_STARTUP_OPTIONS,
} from "./canonical-text.ts";
export type { InstallHooks, InstallReport } from "./installer.ts";
export { PUBLICATION } from "./sql/publication.ts";
export { READER_ROLE, MERGER_ROLE, PEER_ROLE } from "./sql/roles.ts";
export { countingResultsSpec } from "./counting-results.ts";
export { userTableSql } from "./sql/state-table.ts";
export { firstIssue } from "./zod-issue.ts";
export {
  addMember,
  admitMember,
  collectionHeld,
  holdCollection,
  readMembers,
  readRegionRows,
  releaseCollection,
  removeMember,
  sameMembers,
} from "./membership.ts";
export type { Member, RegionRow } from "./membership.ts";
export { ENGINE_MIGRATION_VERSIONS } from "./sql/engine-schema.ts";
export { pgConnection } from "./pg-connection.ts";
export { keyList, keyMatch, keyVar, touchedKeys, visibleOf } from "./sql/key-sql.ts";
export { lockUserRowsCall, writeUserRowsCall } from "./sql/user-row-functions.ts";
export { deadKeySql } from "./sql/collect-function.ts";
export { reshippedStateScanSql, reshippedStateSql } from "./sql/winning-tombstone.ts";
export { appliedShortOf, readApplied, waitForApplied } from "./applied-progress.ts";
export type { AppliedWait } from "./applied-progress.ts";
