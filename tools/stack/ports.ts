import { createServer } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { probe, which } from "./proc.ts";

/** Whether nothing listens on 127.0.0.1:`port` (we can bind it ourselves). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(false);
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/** Who listens on a TCP port, from `ss -ltnp` (e.g. `"postgres",pid=2176`), or "an unknown process". */
export function portOwner(port: number): string {
  if (which("ss") === undefined) return "an unknown process (install iproute2 for details)";
  const { output } = probe("ss", ["-ltnpH", `sport = :${port}`]);
  const users = /users:\(\((.*?)\)\)/.exec(output)?.[1];
  return users !== undefined
    ? (users.split(",fd=")[0] ?? users)
    : output.trim() === ""
      ? "nobody"
      : "an unknown process";
}

/** Pid of the process listening on a port, if `ss` can tell. */
export function portPid(port: number): number | undefined {
  if (which("ss") === undefined) return undefined;
  const { output } = probe("ss", ["-ltnpH", `sport = :${port}`]);
  const pid = /pid=(\d+)/.exec(output)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Polls until the port is free or `timeoutMs` passes; returns whether it became free. */
export async function waitPortFree(port: number, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortFree(port)) return true;
    if (Date.now() >= until) return false;
    await delay(100);
  }
}
