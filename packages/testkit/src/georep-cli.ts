import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { findRepoRoot } from "./repo-root.ts";

const exec = promisify(execFile);

// Shared by the CLI's own tests and the suites that drive a deployment through it.
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `georep <args>` as an operator would, from the repository root; never throws. */
export async function georep(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ["--import", "tsx", "apps/cli/src/main.ts", ...args],
      { cwd: findRepoRoot() },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
