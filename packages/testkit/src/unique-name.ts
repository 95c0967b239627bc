let counter = 0;

/**
 * A lowercase identifier safe for PostgreSQL (unquoted, ≤ 63 bytes), Kafka topics and groups,
 * and replication slot names: `<prefix>_<pid>_<time>_<counter>`, unique per process, time and call.
 */
export function uniqueName(prefix: string): string {
  let clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!/^[a-z]/.test(clean)) clean = `t_${clean}`.replace(/_+$/, "");
  counter += 1;
  const suffix = `_${process.pid.toString(36)}_${Date.now().toString(36)}_${counter.toString(36)}`;
  return `${clean.slice(0, 63 - suffix.length)}${suffix}`;
}
