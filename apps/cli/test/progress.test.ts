import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressBar, progressWanted } from "../src/output/progress.ts";

/** A stream that says it is a terminal, keeping what is drawn on it. */
function fakeTerminal(isTTY: boolean): { stream: NodeJS.WriteStream; drawn: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    drawn: () => Buffer.concat(chunks).toString("utf8"),
  };
}

describe("progress", () => {
  it("is wanted on a terminal only, and never with --json", () => {
    expect(progressWanted(false, fakeTerminal(true).stream)).toBe(true);
    expect(progressWanted(true, fakeTerminal(true).stream)).toBe(false);
    expect(progressWanted(false, fakeTerminal(false).stream)).toBe(false);
  });

  it("draws one bar per stage, none for a stage with nothing to do", async () => {
    const t = fakeTerminal(true);
    const bar = progressBar("{table} {value}/{total}", true, t.stream);
    bar.update("a", 0, 0, { table: "empty" });
    bar.update("b", 3, 10, { table: "public.b" });
    bar.update("b", 10, 12, { table: "public.b" });
    bar.update("c", 1, 2, { table: "public.c" });
    bar.stop();
    bar.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.drawn()).not.toContain("empty");
    expect(t.drawn()).toContain("public.b 3/10");
    expect(t.drawn()).toContain("public.b 10/12");
    expect(t.drawn()).toContain("public.c 1/2");
  });

  it("draws nothing when disabled", async () => {
    const t = fakeTerminal(true);
    const bar = progressBar("{value}/{total}", false, t.stream);
    bar.update("a", 1, 2);
    bar.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.drawn()).toBe("");
  });
});
