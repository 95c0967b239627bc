// `pnpm stack up | down | status`: the local PostgreSQL-per-region + Kafka + Redis stack;
// `pnpm stack cluster up | down`: a three-broker Kafka cluster beside it, for replication tests;
// `pnpm stack secure up | down | status`: the TLS-and-passwords stack beside it (secure-stack.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseOrExit } from "@georep/command-line";
import { findRepoRoot } from "@georep/testkit";
import { parseStackArgs } from "./args.ts";
import type { Command } from "./args.ts";
import { stackConfig } from "./config.ts";
import { StackError } from "./errors.ts";
import { clusterLayout, startKafkaCluster, stopCluster } from "./kafka-cluster.ts";
import {
  secureKafkaEndpoint,
  secureKafkaEndpointsFile,
  startSecureKafka,
  stopSecureKafka,
} from "./kafka-secure.ts";
import { withStackLock } from "./lock.ts";
import { down, status, up } from "./stack.ts";
import { secureConfig } from "./secure-config.ts";
import { secureDown, secureStatus, secureUp } from "./secure-stack.ts";

async function main(command: Command): Promise<number> {
  const config = stackConfig(findRepoRoot(import.meta.dirname), process.env);
  const lockFile = join(config.stackDir, "stack.lock");
  // The secure stack's lock: `secure up` starts this broker too.
  const secureKafkaLock = secureConfig(config.root, process.env).lockFile;
  switch (command) {
    case "up":
      await withStackLock(lockFile, () => up(config));
      return 0;
    case "down":
      await withStackLock(lockFile, () => down(config));
      return 0;
    case "status":
      return (await status(config)) ? 0 : 1;
    case "cluster up": {
      const cluster = await startKafkaCluster(config.kafka, config.stackDir);
      process.stdout.write(
        `kafka cluster ready: ${cluster.brokers.join(",")} (logs under ${cluster.layout.dir})\n`,
      );
      return 0;
    }
    case "cluster down":
      await stopCluster(clusterLayout(config.kafka, config.stackDir));
      process.stdout.write("kafka cluster stopped\n");
      return 0;
    case "secure-kafka up": {
      const k = await withStackLock(secureKafkaLock, () => startSecureKafka(config));
      const endpoint = secureKafkaEndpoint(k);
      writeFileSync(secureKafkaEndpointsFile(config), `${JSON.stringify(endpoint, null, 2)}\n`);
      process.stdout.write(
        `secure kafka: ${k.action} (pid ${k.pid})\n${JSON.stringify(endpoint, null, 2)}\n`,
      );
      return 0;
    }
    case "secure-kafka down":
      process.stdout.write(
        `secure kafka: ${await withStackLock(secureKafkaLock, () => stopSecureKafka(config))}\n`,
      );
      return 0;
    case "secure up":
    case "secure down": {
      const secure = secureConfig(config.root, process.env);
      const work = command === "secure up" ? secureUp : secureDown;
      // Its own lock: the plain stack's `up` (every test run calls it) never waits for this one.
      await withStackLock(secure.lockFile, () => work(secure));
      return 0;
    }
    case "secure status":
      return (await secureStatus(secureConfig(config.root, process.env))) ? 0 : 1;
  }
}

main(parseOrExit(() => parseStackArgs(process.argv.slice(2)))).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof StackError) {
      process.stderr.write(`\nstack: ${error.message}\n  fix: ${error.fix}\n`);
    } else {
      process.stderr.write(
        `\nstack: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exitCode = 1;
  },
);
