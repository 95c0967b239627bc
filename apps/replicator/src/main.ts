import { EXIT_USAGE, parseOrExit } from "@georep/command-line";
import { ClusterTooSmallError } from "@georep/kafka";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import { parseReplicatorArgs } from "./args.ts";
import { ConfigError, loadReplicatorConfig } from "./config.ts";
import type { ReplicatorConfig } from "./config.ts";
import { serveHttp } from "./http.ts";
import { createReplicator } from "./replicator.ts";

/**
 * `tsx apps/replicator/src/main.ts --config region.json`: one region's replicator.
 * SIGTERM/SIGINT stop it gracefully (flush to Kafka, ack the slot, finish the merge batch);
 * a lost leadership or a failed role exits 1 so the supervisor restarts it; a bad flag or config
 * exits 2 (restarting would not help).
 */
const args = parseOrExit(() => parseReplicatorArgs(process.argv.slice(2)));
let config: ReplicatorConfig;
try {
  config = loadReplicatorConfig(args.config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`georep-replicator: ${error.message}\n`);
  process.exit(EXIT_USAGE);
}
const logger = createLogger({ name: "georep-replicator" });
const metrics = createMetrics({ defaultMetrics: true });
const replicator = createReplicator({ config, logger, metrics, clock: systemClock });
const http = await serveHttp({
  host: config.http.host,
  port: config.http.port,
  probes: replicator.probes,
  metrics,
});
logger.info({ region: config.region, port: http.port }, "serving /health, /ready, /metrics");

let stopping = false;
const shutdown = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  try {
    await replicator.stop();
    await http.close();
  } catch (error) {
    logger.error({ err: error }, "shutdown failed");
    code = 1;
  }
  process.exit(code);
};
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGINT", () => void shutdown(0));
replicator.onFatal((error) => {
  logger.error({ err: error }, "replicator cannot continue");
  void shutdown(1);
});
try {
  await replicator.start();
} catch (error) {
  logger.error({ err: error }, "replicator failed to start");
  // Too few brokers for the configured replication: the config or the cluster must change, so
  // exit like a bad config (a supervisor's restarts would not help).
  if (error instanceof ClusterTooSmallError) {
    process.stderr.write(`georep-replicator: ${error.message}\n`);
    await shutdown(EXIT_USAGE);
  }
  await shutdown(1);
}
