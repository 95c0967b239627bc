import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findRepoRoot } from "@georep/testkit";
import { markdownFiles, referenceProblems } from "./doc-references.ts";

const root = findRepoRoot();

describe("the project's documents", () => {
  it("never send a reader outside the repository or to a missing file", () => {
    const known = markdownFiles(root);
    const documents = ["README.md", "SPEC.md", ...known.filter((file) => file.startsWith("docs/"))];
    const problems = documents.flatMap((file) =>
      referenceProblems(root, file, readFileSync(join(root, file), "utf8"), known),
    );
    expect(problems, "say it in SPEC.md or docs/, in the project's own words").toEqual([]);
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
    expect(check("[pg](https://www.postgresql.org/docs/15/)")).toEqual([
      "docs/x.md: links to https://www.postgresql.org/docs/15/, outside the repository",
    ]);
    expect(check("[ref]: file:///home/me/notes.txt")).toHaveLength(1);
    expect(check('<a href="../../secret.txt">x</a>')).toHaveLength(1);
    expect(check("`packages/nothing/src/index.ts`")).toHaveLength(1);
    expect(
      check(
        "[ok](operate.md#peers), [README](../README.md)," +
          " `packages/{crdt,schema}/package.json`, `packages/*/src`, `tools/kafka/target/libs`",
      ),
    ).toEqual([]);
  });
});
