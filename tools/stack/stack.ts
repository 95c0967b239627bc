import { existsSync, rmSync } from "node:fs";
import type { StackConfig } from "./config.ts";
import { buildEndpoints, writeEndpoints } from "./endpoints.ts";
import { StackError } from "./errors.ts";
import {
  brokerPid,
  checkKafka,
  fetchJars,
  startKafka,
  stopKafka,
  waitKafkaReady,
} from "./kafka.ts";
import { out, seconds, step } from "./log.ts";
import {
  checkRegion,
  downRegion,
  ensurePostgresBinaries,
  postmasterPid,
  upRegion,
} from "./postgres.ts";
import { isAlive } from "./proc.ts";
import { reclaimAllowed, reclaimPorts } from "./reclaim.ts";
import { portOwner, waitPortFree } from "./ports.ts";
import { downRedis, managedPid, ping, upRedis } from "./redis.ts";

/**
 * Brings every part up (reusing running ones) and writes .stack/endpoints.json.
 * The broker JVM boots while the PostgreSQL clusters start.
 * @throws StackError from the first part that fails.
 */
export async function up(config: StackConfig): Promise<void> {
  const started = Date.now();
  await ensurePostgresBinaries();
  if (reclaimAllowed(process.env)) await reclaimPorts(config);

  let t = Date.now();
  const jars = await fetchJars(config.kafka);
  step(`kafka jars: ${jars} (${seconds(t)})`);
  t = Date.now();
  const kafka = await startKafka(config.kafka);
  step(`kafka: ${kafka.action} (pid ${kafka.pid})`);

  for (const region of config.regions) {
    const rt = Date.now();
    const { action } = await upRegion(region);
    step(`postgres ${region.id}: ${action} on port ${region.port} (${seconds(rt)})`);
  }

  const rt = Date.now();
  const redis = await upRedis(config.redis);
  step(`redis: ${redis.action} at ${redis.url} (${seconds(rt)})`);

  await waitKafkaReady(config.kafka, kafka.pid);
  step(`kafka: ready on 127.0.0.1:${config.kafka.port} (${seconds(t)} since start)`);

  const endpoints = buildEndpoints(config, { url: redis.url, managed: redis.managed });
  writeEndpoints(config.endpointsFile, endpoints);

  out(`stack up in ${seconds(started)}`);
  for (const r of endpoints.regions) out(`  postgres ${r.id.padEnd(10)} ${r.pgUrl}`);
  out(`  kafka             ${endpoints.kafka.brokers.join(",")}`);
  out(
    `  redis             ${endpoints.redis.url}${endpoints.redis.managed ? " (started by the stack)" : " (already running, reused)"}`,
  );
  out(`endpoints: ${config.endpointsFile}`);
  out(
    `logs:      ${config.logsDir}/ (pg-<region>.log, kafka.log, kafka.out${endpoints.redis.managed ? ", redis.log" : ""})`,
  );
}

interface PartStatus {
  part: string;
  healthy: boolean;
  detail: string;
}

/** Checks every part; returns whether all are healthy. */
export async function status(config: StackConfig): Promise<boolean> {
  const parts: PartStatus[] = [];
  for (const region of config.regions) {
    const problem = await checkRegion(region);
    parts.push({
      part: `postgres ${region.id}`,
      healthy: problem === undefined,
      detail: problem ?? `127.0.0.1:${region.port}`,
    });
  }
  const pid = brokerPid(config.kafka);
  const kafkaProblem = await checkKafka(config.kafka);
  parts.push({
    part: "kafka",
    healthy: kafkaProblem === undefined,
    detail:
      kafkaProblem ??
      `127.0.0.1:${config.kafka.port}${pid === undefined ? " (not started by this stack)" : ` (pid ${pid})`}`,
  });
  const managed = managedPid(config.redis) !== undefined;
  const redisPort = managed ? config.redis.managedPort : config.redis.externalPort;
  const redisOk = await ping(redisPort);
  parts.push({
    part: "redis",
    healthy: redisOk,
    detail: redisOk
      ? `127.0.0.1:${redisPort}${managed ? " (started by the stack)" : " (external)"}`
      : `no PING answer on ${redisPort}`,
  });
  for (const p of parts) out(`${p.healthy ? "ok  " : "DOWN"}  ${p.part.padEnd(18)} ${p.detail}`);
  const all = parts.every((p) => p.healthy);
  out(all ? "all healthy" : "not healthy: run `pnpm stack up` (logs in .stack/logs/)");
  return all;
}

/**
 * Stops PostgreSQL clusters, the broker and a Redis we started, then checks that none of their
 * processes remains and their ports are free.
 * @throws StackError naming the leftover process or port.
 */
export async function down(config: StackConfig): Promise<void> {
  const pids: { what: string; pid: number }[] = [];
  const ports: number[] = [];
  const kafkaPid = brokerPid(config.kafka);
  if (kafkaPid !== undefined) pids.push({ what: "kafka", pid: kafkaPid });
  step(`kafka: ${await stopKafka(config.kafka)}`);
  ports.push(config.kafka.port, config.kafka.controllerPort);
  for (const region of config.regions) {
    const pid = postmasterPid(region);
    if (pid !== undefined) pids.push({ what: `postgres ${region.id}`, pid });
    step(`postgres ${region.id}: ${await downRegion(region)}`);
    ports.push(region.port);
  }
  const redisPid = managedPid(config.redis);
  if (redisPid !== undefined) {
    pids.push({ what: "redis", pid: redisPid });
    ports.push(config.redis.managedPort);
  }
  step(
    `redis: ${await downRedis(config.redis)}${redisPid === undefined ? " (an external Redis is left alone)" : ""}`,
  );

  const left = pids.filter((p) => isAlive(p.pid));
  if (left.length > 0) {
    throw new StackError(
      `still running after down: ${left.map((p) => `${p.what} (pid ${p.pid})`).join(", ")}`,
      `kill ${left.map((p) => p.pid).join(" ")}`,
    );
  }
  const busy: number[] = [];
  for (const port of ports) if (!(await waitPortFree(port, 10_000))) busy.push(port);
  if (busy.length > 0) {
    throw new StackError(
      `ports still bound after down: ${busy.map((p) => `${p} by ${portOwner(p)}`).join(", ")}`,
      "stop those processes ('ss -ltnp' shows them)",
    );
  }
  if (existsSync(config.endpointsFile)) rmSync(config.endpointsFile);
  out(`stack down: no stack process left; ports ${ports.join(", ")} are free`);
  out(`data kept in ${config.stackDir} (delete it for a clean start)`);
}
