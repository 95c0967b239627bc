// deploy/systemd/georep-replicator@.service: the keys a supervised, hardened replicator needs,
// and `systemd-analyze verify` (and its offline security score) where systemd is installed.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findRepoRoot } from "@georep/testkit";

const root = findRepoRoot();
const unitPath = join(root, "deploy/systemd/georep-replicator@.service");
const unitText = readFileSync(unitPath, "utf8");

/** A unit file as section → key → values (a key may repeat; `Key=` alone resets to empty). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current === undefined || eq < 1) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get("Service") ?? new Map<string, string[]>();
const one = (key: string): string | undefined => service.get(key)?.at(-1);

const hasSystemd = spawnSync("systemd-analyze", ["--version"]).status === 0;

describe("the replicator's systemd unit", () => {
  it("runs the compiled replicator from package.json's bin with the instance's config", () => {
    const pkg = JSON.parse(readFileSync(join(root, "apps/replicator/package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    const bin = (pkg.bin["georep-replicator"] ?? "").replace(/^\.\//, "");
    expect(bin).toMatch(/\.mjs$/);
    expect(one("ExecStart")).toBe(
      `/usr/bin/node /opt/georep/replicator/${bin} --config /etc/georep/%i.json`,
    );
    expect(unitText).not.toMatch(/tsx/);
  });

  it("hands the secrets over as credentials, never through the environment", () => {
    // systemd reads the root-only files and gives the dynamic user read-only copies.
    expect(one("LoadCredential")).toBe("georep:/etc/georep/credentials/%i");
    expect(service.get("EnvironmentFile")).toBeUndefined();
    expect(unitText).not.toMatch(/PGPASSWORD/);
  });

  it("restarts on failure after a few seconds, but not after a config error (exit 2)", () => {
    expect(one("Restart")).toBe("on-failure");
    const seconds = Number(/^(\d+)s$/.exec(one("RestartSec") ?? "")?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(30);
    expect(one("RestartPreventExitStatus")).toBe("2");
    expect(unit.get("Unit")?.get("StartLimitIntervalSec")).toEqual(["0"]);
    expect(unit.get("Install")?.get("WantedBy")).toEqual(["multi-user.target"]);
  });

  it("runs unprivileged, read-only and with a memory limit", () => {
    for (const [key, value] of [
      ["DynamicUser", "yes"],
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["PrivateDevices", "yes"],
      ["CapabilityBoundingSet", ""],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
      ["MemoryMax", "512M"],
    ])
      expect(one(key ?? ""), key).toBe(value);
  });

  it.skipIf(!hasSystemd)("passes systemd-analyze verify, and it would catch a bad key", () => {
    const dir = mkdtempSync(join(tmpdir(), "georep-unit-"));
    // A template is verified through an instance of it.
    const instance = join(dir, "georep-replicator@us-east.service");
    copyFileSync(unitPath, instance);
    const good = spawnSync("systemd-analyze", ["verify", instance], { encoding: "utf8" });
    expect(good.status, good.stderr).toBe(0);
    // verify exits 0 on unknown keys and bad values: it only warns, so any output is a failure.
    expect(good.stderr.trim()).toBe("");
    const broken = join(dir, "broken@us-east.service");
    writeFileSync(broken, unitText.replace("Restart=on-failure", "Restart=sometimes"));
    const bad = spawnSync("systemd-analyze", ["verify", broken], { encoding: "utf8" });
    expect(bad.stderr).toMatch(/restart specifier/);
  });

  it.skipIf(!hasSystemd)("scores as well hardened in systemd-analyze security", () => {
    const dir = mkdtempSync(join(tmpdir(), "georep-unit-"));
    const instance = join(dir, "georep-replicator@us-east.service");
    copyFileSync(unitPath, instance);
    const out = execFileSync("systemd-analyze", ["security", "--offline=true", instance], {
      encoding: "utf8",
    });
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(out)?.[1]);
    // 0 is fully locked down, 10 unprotected; systemd calls below 2 "OK".
    expect(exposure).toBeLessThan(2);
  });
});
