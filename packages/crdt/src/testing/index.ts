// @georep/crdt/testing: the CRDT law harness and arbitraries, for this package's tests and for
// any package that builds on the CRDT core (run your own state type through describeLaws).
export { describeLaws } from "./describe.ts";
export { lawProperties } from "./laws.ts";
export type { CrdtLaws, ReplicaContext } from "./crdt-laws.ts";
export type { LawName } from "./laws.ts";
export { NETWORK_REGIONS, networkScenario, simulateNetwork } from "./network.ts";
export type { NetworkOutcome, NetworkScenario, NetworkStep } from "./network.ts";
export { PropertyFailure, checkProperty, replayCommand } from "./check.ts";
export { DEFAULT_RUNS, propertyConfig } from "./env.ts";
export { databasePropertyParameters } from "./database-property.ts";
export { propertyParameters } from "./parameters.ts";
export type { PropertyConfig } from "./env.ts";
export { show, structuralEqual } from "./equal.ts";
export {
  G_COLUMNS,
  HOME_COLUMN,
  PN_COLUMNS,
  REGISTER_COLUMNS,
  componentArb,
  derivedBase,
  derivedValue,
  gcounterArb,
  lwwArb,
  pncounterArb,
  regionArb,
  registerColumnArb,
  rowArb,
  rowArbOver,
  stampArb,
} from "./arbitraries.ts";
export type { RowArbOptions } from "./arbitraries.ts";
export { gcounterLaws, lwwLaws, pncounterLaws } from "./subjects.ts";
export { rowLaws } from "./row-subject.ts";
export type { RowOp } from "./row-subject.ts";
export {
  registerText,
  rowOfStateRows,
  shownRowOfStateRows,
  stateRowsOfRow,
  withTextRegisters,
} from "./state-rows.ts";
export type { StateColumns } from "./state-rows.ts";
