import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

/**
 * A test of whether a repository path is git-ignored (a build output such as
 * `tools/kafka/target/`: a document may name it though a fresh checkout lacks it), read from the
 * root's .gitignore. Covers the forms georep uses: `dir/`, `a/b/`, `*.log`.
 */
export function gitIgnored(root: string): (path: string) => boolean {
  const patterns = readFileSync(join(root, ".gitignore"), "utf8")
    .split("\n")
    .map((line) => line.trim().replace(/\/$/, ""))
    .filter((line) => line !== "" && !line.startsWith("#"));
  return (path) => {
    const segments = path.replace(/\/$/, "").split("/");
    return patterns.some((p) => {
      if (p.startsWith("*")) return path.endsWith(p.slice(1));
      if (p.includes("/")) return path === p || path.startsWith(`${p}/`);
      return segments.includes(p);
    });
  };
}

/** Every Markdown file the repository has, relative to `root`, git-ignored folders left out. */
export function markdownFiles(root: string): string[] {
  const ignored = gitIgnored(root);
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.name === ".git" || ignored(path)) return [];
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith(".md") ? [path] : [];
    });
  return walk("");
}

/** Link targets in Markdown: inline links and images, reference definitions, HTML href/src. */
const LINKS = [
  /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g,
  /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm,
  /\b(?:href|src)\s*=\s*["']([^"']+)["']/g,
];
/** Repository paths quoted as code: `packages/…`, `docs/…` (with {a,b} alternatives). */
const CODE_PATHS = /`((?:packages|apps|test|tools|docs)\/[^`\s]+)`/g;

/** A Markdown file named in prose ("design.md", "docs/operate.md"). */
const MARKDOWN_NAMES = /(?<![\w./-])((?:[\w.-]+\/)*[\w.-]+\.md)\b/g;

/** {a,b} alternatives spelled out: "x/{a,b}.ts" -> ["x/a.ts", "x/b.ts"]. */
function expandBraces(path: string): string[] {
  const m = /\{([^{}]*)\}/.exec(path);
  if (m === null) return [path];
  const [before, after] = [path.slice(0, m.index), path.slice(m.index + m[0].length)];
  return (m[1] ?? "").split(",").flatMap((alt) => expandBraces(`${before}${alt}${after}`));
}

/**
 * What in one document would send a reader outside the repository, or nowhere: a mention of
 * `../shared`, a link with a local scheme, a relative link that leaves the repository or names a
 * missing file, a quoted repository path that does not exist (unless git-ignored: a build
 * output), a Markdown file named in prose
 * that the repository does not have (`markdownFiles`: the paths of those it has), or a web link:
 * the project says what it relies on in its own words. Anchors are fine. `file` is the
 * document's path relative to `root`.
 */
export function referenceProblems(
  root: string,
  file: string,
  text: string,
  markdownFiles: readonly string[],
): string[] {
  const problems: string[] = [];
  const ignored = gitIgnored(root);
  if (text.includes("../shared")) problems.push(`${file}: mentions ../shared`);
  for (const m of text.matchAll(MARKDOWN_NAMES)) {
    const name = m[1] ?? "";
    const tail = name.replace(/^(\.\.?\/)+/, ""); // where a relative link leads is checked below
    if (!markdownFiles.some((known) => known === tail || known.endsWith(`/${tail}`)))
      problems.push(`${file}: names ${name}, which the repository does not have`);
  }
  const targets = LINKS.flatMap((re) => [...text.matchAll(re)].map((m) => m[1] ?? ""));
  for (const target of targets) {
    if (target.startsWith("#")) continue;
    if (/^(https?|mailto):/i.test(target)) {
      problems.push(`${file}: links to ${target}, outside the repository`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      problems.push(`${file}: links to ${target}, which readers of the repository do not have`);
      continue;
    }
    const path = decodeURIComponent(target.replace(/[?#].*$/, ""));
    const absolute = path.startsWith("/")
      ? join(root, path) // GitHub resolves a leading '/' at the repository root
      : resolve(root, dirname(file), path);
    const inside = relative(root, absolute);
    if (inside.startsWith("..") || isAbsolute(inside))
      problems.push(`${file}: links to ${target}, outside the repository`);
    else if (!existsSync(absolute))
      problems.push(`${file}: links to ${target}, which does not exist`);
  }
  for (const m of text.matchAll(CODE_PATHS)) {
    const quoted = m[1] ?? "";
    if (/[*<]/.test(quoted)) continue; // a pattern or a placeholder, not a path
    for (const path of expandBraces(quoted.replace(/[:#].*$/, "")))
      if (!existsSync(join(root, path)) && !ignored(path))
        problems.push(`${file}: names ${path}, which does not exist`);
  }
  return problems;
}
