// The executables `pnpm build` compiles run on plain node, without tsx, against the real stack:
// the replicator from dist/ becomes ready; a second one of the same region stands by (/health 200,
// /ready 503: what the Kubernetes probes in deploy/kubernetes rely on) and takes over when the
// first is stopped; `georep` from dist/ answers --help and reads the region's status.
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  devKafka,
  createTestDatabase,
  findRepoRoot,
  freePort,
  readEndpoints,
  uniqueName,
  waitFor,
} from "@georep/testkit";
import type { TestDatabase } from "@georep/testkit";

const run = promisify(execFile);
const root = findRepoRoot();
const replicatorBin = join(root, "apps/replicator/dist/georep-replicator.mjs");
const cliBin = join(root, "apps/cli/dist/georep.mjs");
// Plain node: no --import flag, and no NODE_OPTIONS inherited from the test runner.
const plainNode = { ...process.env, NODE_OPTIONS: "" };

/** The HTTP status of GET `path`, or 0 when nothing answers. */
async function probe(port: number, path: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

interface Compiled {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logPath: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

const started: Compiled[] = [];

function startReplicator(dir: string, name: string, config: Record<string, unknown>): Compiled {
  const configPath = join(dir, `${name}.json`);
  const logPath = join(dir, `${name}.log`);
  writeFileSync(configPath, JSON.stringify(config));
  const log = openSync(logPath, "a");
  // The executable itself (its #!/usr/bin/env node line), as systemd and Kubernetes start it.
  const child = spawn(replicatorBin, ["--config", configPath], {
    stdio: ["ignore", log, log],
    env: plainNode,
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const port = (config["http"] as { port: number }).port;
  const compiled = { child, port, logPath, exited };
  started.push(compiled);
  return compiled;
}

describe("compiled executables (dist/, plain node)", () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    const t0 = performance.now();
    // The build as CI and operators run it.
    await run("pnpm", ["build"], { cwd: root, env: plainNode });
    console.log(`pnpm build: ${Math.round(performance.now() - t0)} ms`);
    db = await createTestDatabase(readEndpoints().regions[0]?.id ?? "", "deploy");
    dir = mkdtempSync(join(tmpdir(), "georep-compiled-"));
  });

  afterAll(async () => {
    for (const c of started) if (c.child.exitCode === null) c.child.kill("SIGKILL");
    await Promise.all(started.map((c) => c.exited));
    await db.drop();
  });

  it("georep --help exits 0 and lists the commands", async () => {
    const { stdout } = await run(cliBin, ["--help"], { env: plainNode });
    expect(stdout).toMatch(/Usage: georep/);
    expect(stdout).toMatch(/status/);
  });

  it("the replicator becomes ready, a second one stands by and takes over on SIGTERM", async () => {
    const tag = uniqueName("d").replaceAll("_", "").slice(-10);
    const [self, peer] = [`dp${tag}-a`, `dp${tag}-b`];
    const config = async (): Promise<Record<string, unknown>> => ({
      region: self,
      regions: [{ id: self }, { id: peer }],
      postgres: { url: db.url },
      kafka: devKafka(),
      tables: ["counting_results"],
      http: { port: await freePort(), host: "127.0.0.1" },
    });
    const t0 = Date.now();
    const active = startReplicator(dir, "active", await config());
    await waitFor(async () => (await probe(active.port, "/ready")) === 200, {
      description: `compiled replicator to answer 200 on /ready (log: ${active.logPath})`,
      timeoutMs: 90_000,
      intervalMs: 50,
    });
    console.log(`compiled replicator: start to /ready 200 in ${Date.now() - t0} ms`);
    expect(await probe(active.port, "/health")).toBe(200);
    expect(await probe(active.port, "/metrics")).toBe(200);

    // The compiled CLI reads the running region: its slot is the active replicator's.
    const { stdout } = await run(
      cliBin,
      ["status", "--config", join(dir, "active.json"), "--json"],
      { env: plainNode },
    );
    const status = JSON.parse(stdout) as { region: string; slot: { active: boolean } | null };
    expect(status.region).toBe(self);
    expect(status.slot?.active).toBe(true);

    const standby = startReplicator(dir, "standby", await config());
    await waitFor(async () => (await probe(standby.port, "/health")) === 200, {
      description: `standby to answer 200 on /health (log: ${standby.logPath})`,
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    expect(await probe(standby.port, "/ready")).toBe(503);

    active.child.kill("SIGTERM");
    expect(await active.exited).toBe(0);
    const t1 = Date.now();
    await waitFor(async () => (await probe(standby.port, "/ready")) === 200, {
      description: `standby to take over and answer 200 on /ready (log: ${standby.logPath})`,
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    console.log(`standby: active's exit to /ready 200 in ${Date.now() - t1} ms`);
    standby.child.kill("SIGTERM");
    expect(await standby.exited, readFileSync(standby.logPath, "utf8").slice(-2000)).toBe(0);
  });
});
