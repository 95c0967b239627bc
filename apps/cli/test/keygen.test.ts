import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keyIdOf, parsePublicKey } from "@georep/contract";
import { georep } from "@georep/testkit";

describe("georep keygen", () => {
  it("writes the private key to a new 0600 file and prints only the public key", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "georep-keygen-")), "us-east.pem");
    const run = await georep("keygen", "--out", out);
    expect(run.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const privatePem = readFileSync(out, "utf8");
    const publicKey = parsePublicKey(run.stdout);
    expect(keyIdOf(publicKey)).toBe(keyIdOf(createPublicKey(createPrivateKey(privatePem))));
    expect(run.stderr).toContain(`Key id ${keyIdOf(publicKey)}`);
    const body = privatePem.split("\n")[1] ?? "";
    expect(`${run.stdout}${run.stderr}`).not.toContain(body);

    const again = await georep("keygen", "--out", out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out .*EEXIST.*never overwritten/);
    expect(readFileSync(out, "utf8")).toBe(privatePem);
  });
});
