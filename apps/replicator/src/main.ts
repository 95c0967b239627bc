import { parseArgs } from "node:util";
import { createLogger, createMetrics, systemClock } from "@georep/observability";
import { loadReplicatorConfig } from "./config.ts";
import { serveHttp } from "./http.ts";
import { createReplicator } from "./replicator.ts";

/**
 * `tsx apps/replicator/src/main.ts --config region.json`: one region's replicator.
 * SIGTERM/SIGINT stop it gracefully (flush to Kafka, ack the slot, finish the merge batch);
 * a lost leadership or a failed role exits non-zero so the supervisor restarts it.
 */
const { values } = parseArgs({ options: { config: { type: "string" } } });
if (values.config === undefined) {
  process.stderr.write("georep-replicator: --config <file.json> is required\n");
  process.exit(2);
}
const config = loadReplicatorConfig(values.config);
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
  await shutdown(1);
}
