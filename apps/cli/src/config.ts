import { UsageError } from "@georep/command-line";
import { ConfigError, loadReplicatorConfig } from "@georep/replicator";
import type { ReplicatorConfig } from "@georep/replicator";

/**
 * The replicator config a command was given with --config.
 * @throws UsageError naming --config and the file when it cannot be read or cannot work.
 */
export function loadConfig(path: string): ReplicatorConfig {
  try {
    return loadReplicatorConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Field "config" is the file itself (unreadable, not JSON): its message names the file.
      const where = error.field === "config" ? "" : `--config ${path}: `;
      throw new UsageError(`${where}${error.message}`, "--config", { cause: error });
    }
    throw error;
  }
}

/**
 * One replicator config per region, for the commands that compare regions (verify, repair).
 * @throws UsageError for fewer than two files, two files of one region, or a file that cannot work.
 */
export function loadRegionConfigs(paths: readonly string[]): ReplicatorConfig[] {
  const configs = paths.map(loadConfig);
  const regions = configs.map((c) => c.region);
  if (configs.length < 2)
    throw new UsageError("--config needs one file per region, at least two", "--config");
  if (new Set(regions).size !== regions.length)
    throw new UsageError(
      `--config lists two files of one region (${regions.join(", ")}); give one per region`,
      "--config",
    );
  return configs;
}
