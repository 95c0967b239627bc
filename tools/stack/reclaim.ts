import type { StackConfig } from "./config.ts";
import { step } from "./log.ts";
import { portPid, waitPortFree } from "./ports.ts";
import { commandLine, stopProcess } from "./proc.ts";

/**
 * A georep stack started from another checkout (a previous CI clone, a second work tree) holds
 * the same ports. With CI=true or GEOREP_STACK_RECLAIM=1 we stop it — only processes whose
 * command line shows they belong to a georep `.stack/` folder that is not ours — so a fresh
 * clone can bring its own stack up. Anything else on our ports is left alone and reported.
 */
export function reclaimAllowed(env: NodeJS.ProcessEnv): boolean {
  return env["CI"] === "true" || env["GEOREP_STACK_RECLAIM"] === "1";
}

function foreignStackProcess(pid: number, ours: string): boolean {
  const cmd = commandLine(pid);
  const georep = /\/\.stack\/(pg\/|kafka\/server\.properties|redis)/.test(cmd);
  return georep && !cmd.includes(ours);
}

export async function reclaimPorts(config: StackConfig): Promise<void> {
  const ports = [
    ...config.regions.map((r) => r.port),
    config.kafka.port,
    config.kafka.controllerPort,
    config.redis.managedPort,
  ];
  for (const port of ports) {
    const pid = portPid(port);
    if (pid === undefined || !foreignStackProcess(pid, config.stackDir)) continue;
    step(
      `port ${port}: stopping another checkout's georep stack process (pid ${pid}: ${commandLine(pid).slice(0, 120)})`,
    );
    // PostgreSQL's fast shutdown is SIGINT (SIGTERM would wait for every client to leave);
    // the Kafka JVM and Redis shut down cleanly on the SIGTERM stopProcess sends.
    if (commandLine(pid).includes("/.stack/pg/")) process.kill(pid, "SIGINT");
    await stopProcess(pid, `foreign stack process on port ${port}`);
    await waitPortFree(port);
  }
}
