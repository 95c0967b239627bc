import type { Metrics } from "@georep/observability";

export type Role = "capture" | "merge" | "leadership";
const ROLES: readonly Role[] = ["capture", "merge", "leadership"];

/** Leader state and role failures, for the "no active replicator" and "role failed" alerts. */
export function createRoleMetrics(metrics: Metrics): {
  leader(state: { active: boolean; epoch: bigint | undefined }): void;
  failed(role: Role): void;
} {
  const active = metrics.gauge(
    "georep_leader_active",
    "1 while this process is its region's active replicator, 0 while it stands by or after it stepped down",
  );
  const epoch = metrics.gauge(
    "georep_leader_epoch",
    "The fencing epoch this process took the lease with (0 when not active)",
  );
  const failures = metrics.counter(
    "georep_role_failures_total",
    "Roles that failed for good (the process then exits non-zero and hands over)",
    ["role"],
  );
  // Exported from the start, so an alert's rate() has a series to compare with.
  active.set(0);
  epoch.set(0);
  for (const role of ROLES) failures.inc({ role }, 0);
  return {
    leader(state) {
      active.set(state.active ? 1 : 0);
      epoch.set(state.epoch === undefined ? 0 : Number(state.epoch));
    },
    failed(role) {
      failures.inc({ role });
    },
  };
}
