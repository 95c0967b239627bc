import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findRepoRoot } from "@georep/testkit";
import { referenceProblems } from "./doc-references.ts";

const root = findRepoRoot();

/** README.md, SPEC.md and every Markdown file under docs/, relative to the root. */
function documents(): string[] {
  const docs = readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".md"))
    .map((name) => join("docs", name));
  return ["README.md", "SPEC.md", ...docs];
}

/** Every Markdown file the repository has (package READMEs included), relative to the root. */
function markdownFiles(): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" }).filter(
    (name) => name.endsWith(".md") && !/(^|\/)(node_modules|\.stack|\.git)\//.test(name),
  );
}

describe("the project's documents", () => {
  it("never send a reader outside the repository or to a missing file", () => {
    const known = markdownFiles();
    const problems = documents().flatMap((file) =>
      referenceProblems(root, file, readFileSync(join(root, file), "utf8"), known),
    );
    expect(problems, "say it in SPEC.md or docs/, or link the public upstream page").toEqual([]);
  });

  it("are checked by a rule that catches each way out", () => {
    const check = (text: string): string[] =>
      referenceProblems(root, "docs/x.md", text, ["README.md", "docs/operate.md"]);
    expect(check("see ../shared/design.md")).toEqual([
      "docs/x.md: mentions ../shared",
      "docs/x.md: names ../shared/design.md, which the repository does not have",
    ]);
    expect(check("the contract is in design.md, the rules in style.md")).toHaveLength(2);
    expect(check("[the design](../../elsewhere/)")).toEqual([
      "docs/x.md: links to ../../elsewhere/, outside the repository",
    ]);
    expect(check("[gone](./gone.png) and ![img](/nowhere.png)")).toHaveLength(2);
    expect(check("[ref]: file:///home/me/notes.txt")).toHaveLength(1);
    expect(check('<a href="../../secret.txt">x</a>')).toHaveLength(1);
    expect(check("`packages/nothing/src/index.ts`")).toHaveLength(1);
    expect(
      check(
        "[ok](operate.md#peers), [README](../README.md), [pg](https://www.postgresql.org/docs/15/)," +
          " `packages/{crdt,schema}/package.json`, `packages/*/src`",
      ),
    ).toEqual([]);
  });
});
