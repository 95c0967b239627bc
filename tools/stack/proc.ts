import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StackError } from "./errors.ts";

export interface RunResult {
  code: number;
  output: string;
}

/** Runs a command to completion, capturing stdout and stderr together. Never throws on exit code. */
export function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

/**
 * Runs a command and fails with its output when it exits non-zero.
 * @throws StackError naming the command, its output's tail and `fix`.
 */
export async function runOrFail(
  cmd: string,
  args: readonly string[],
  fix: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  let result: RunResult;
  try {
    result = await run(cmd, args, options);
  } catch (cause) {
    throw new StackError(`could not start ${cmd}: ${String(cause)}`, fix, { cause });
  }
  if (result.code !== 0) {
    const tail = result.output.trim().split("\n").slice(-12).join("\n    ");
    const command = withoutUrlPasswords(`${cmd} ${args.join(" ")}`);
    throw new StackError(`${command} exited with ${result.code}:\n    ${tail}`, fix);
  }
  return result.output;
}

/** `scheme://user:password@` → `scheme://user:***@`: a connection URL given as an argument. */
export function withoutUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, "$1:***@");
}

/** The absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Whether a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return true;
  }
}

/** The command line of a process, or "" when it is gone or unreadable. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** A pid read from a pid file (first line), or undefined. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").split("\n")[0] ?? "", 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends SIGTERM, waits up to `graceMs` for the process to exit, then SIGKILLs it.
 * @throws StackError when the process survives SIGKILL.
 */
export async function stopProcess(pid: number, what: string, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  for (const [deadline, next] of [
    [graceMs, "SIGKILL"],
    [5_000, undefined],
  ] as const) {
    const until = Date.now() + deadline;
    while (isAlive(pid) && Date.now() < until) await delay(100);
    if (!isAlive(pid)) return;
    if (next === undefined) break;
    signal(next);
  }
  throw new StackError(
    `${what} (pid ${pid}) did not exit`,
    `kill -9 ${pid} and check ${what}'s log`,
  );
}

let aptUpdated = false;

/**
 * Installs Debian packages with apt-get (as root only).
 * @throws StackError with the command to run by hand when not root or apt-get fails.
 */
export async function aptInstall(packages: readonly string[], why: string): Promise<void> {
  const manual = `apt-get update && apt-get install -y ${packages.join(" ")}`;
  if (!isRoot() || which("apt-get") === undefined) {
    throw new StackError(why, `install it: sudo sh -c '${manual}'`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    await runOrFail("apt-get", ["update"], `run '${manual}' by hand and look at its errors`, {
      env,
    });
    aptUpdated = true;
  }
  await runOrFail(
    "apt-get",
    ["install", "-y", "--no-install-recommends", ...packages],
    `run '${manual}' by hand and look at its errors`,
    { env },
  );
}

/** Synchronous variant for quick probes (`java -version`). */
export function probe(cmd: string, args: readonly string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error !== undefined) return { code: 127, output: String(r.error) };
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}
