// The one formatter of georep's human output: borderless, aligned columns under upper-case
// headings (as kubectl prints them), the same on a terminal and in a pipe; --json is the form
// for programs.
import Table from "cli-table3";

export type Cell = string | number | boolean | null | undefined;

const noBorders = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

const text = (cell: Cell): string =>
  cell === null || cell === undefined
    ? "-"
    : typeof cell === "boolean"
      ? cell
        ? "yes"
        : "no"
      : String(cell);

/** Rows under headings; `-` for a missing value, yes/no for booleans. Ends with a newline. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const t = new Table({
    head: head.map((h) => h.toUpperCase()),
    chars: noBorders,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
  });
  for (const row of rows) t.push(row.map(text));
  return `${t.toString().replace(/ +$/gm, "")}\n`;
}

/** `label  value` lines, aligned: a record's fields. */
export function fields(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  const t = new Table({
    chars: noBorders,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
  });
  for (const [label, value] of pairs) t.push([label, text(value)]);
  return `${t.toString().replace(/ +$/gm, "")}\n`;
}

/** 1536 -> "1.5 KiB". */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit] ?? "B"}`;
}
