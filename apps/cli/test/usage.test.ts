// `georep` as a shell sees it, without a database: --version, --help and usage errors. Usage
// errors exit 2 (never 1: 1 means regions differ) and name the flag and the fix; flags are
// checked before any config is read or any connection is made.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { georep } from "@georep/testkit";

const { version } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

describe.concurrent("georep usage", () => {
  it("--version prints the cli package's version and exits 0", async () => {
    const out = await georep("--version");
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(version);
  });

  it("--help lists the commands and the exit codes, and exits 0", async () => {
    const out = await georep("--help");
    expect(out.code).toBe(0);
    for (const command of ["status", "verify", "conflicts", "repair", "rehome", "schema"])
      expect(out.stdout).toContain(command);
    expect(out.stdout).toMatch(/exit codes/i);
    expect(out.stdout).toMatch(/1 +regions differ/);
    expect(out.stdout).toMatch(/2 +usage error/);
  });

  it("an unknown command exits 2, names it and points to --help", async () => {
    const out = await georep("stauts", "--config", "x.json");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown command 'stauts'");
    expect(out.stderr).toContain("Did you mean status?");
    expect(out.stderr).toContain("--help");
  });

  it("no command at all exits 2 with the usage", async () => {
    const out = await georep();
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("Usage: georep");
  });

  it("an unknown flag exits 2, names it and points to the command's --help", async () => {
    const out = await georep("verify", "--config", "a.json", "b.json", "--limt", "3");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown option '--limt'");
    expect(out.stderr).toContain("georep verify --help");
  });

  it("a missing required flag exits 2 and names it", async () => {
    const out = await georep("status");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("required option '--config <file>' not specified");
  });

  it.each([
    [["conflicts", "--config", "x.json", "--limit", "0"], "--limit must be between 1 and 10000"],
    [["conflicts", "--config", "x.json", "--limit", "many"], "--limit must be a whole number"],
    [
      ["conflicts", "--config", "x.json", "--since-minutes", "-5"],
      "--since-minutes must be above 0, e.g. --since-minutes 60",
    ],
    [["repair", "--config", "a.json", "b.json", "--buckets", "0"], "--buckets must be between"],
    [["repair", "--config", "a.json", "b.json", "--region", "US"], "--region must be"],
    [["verify", "--config", "a.json"], "--config needs one file per region, at least two"],
  ])("a bad flag value exits 2 naming the flag and the fix: %j", async (args, message) => {
    const out = await georep(...args);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(message);
    // Refused before reading a config: the files do not exist.
    expect(out.stderr).not.toContain("cannot read config file");
  });

  it("a config file that cannot be read exits 2 naming --config and the file", async () => {
    const out = await georep("status", "--config", "/nonexistent/us-east.json");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("/nonexistent/us-east.json");
  });
});
