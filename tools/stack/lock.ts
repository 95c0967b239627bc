// One `up`/`down` at a time per repository: parallel test runs call `up` together.
//
//   free ──create .stack/stack.lock (O_EXCL, our pid)──▶ held ──release (unlink)──▶ free
//   held by a dead pid ──▶ taken over
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StackError } from "./errors.ts";
import { isAlive } from "./proc.ts";
import { step } from "./log.ts";

function holder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isSafeInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the stack lock, waiting while another live `pnpm stack` process holds it.
 * @throws StackError after `timeoutMs`, naming the holder.
 */
export async function withStackLock<T>(
  file: string,
  work: () => Promise<T>,
  timeoutMs = 300_000,
): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const until = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = holder(file);
    if (pid === undefined || !isAlive(pid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > until) {
      throw new StackError(
        `another 'pnpm stack' (pid ${pid}) has held ${file} for too long`,
        `wait for it, or kill ${pid}`,
      );
    }
    if (!told) step(`waiting for another 'pnpm stack' (pid ${pid}) to finish`);
    told = true;
    await delay(200);
  }
  try {
    return await work();
  } finally {
    if (holder(file) === process.pid) rmSync(file, { force: true });
  }
}
