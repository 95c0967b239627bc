/** `JSON.stringify` that writes bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/**
 * A command's result on stdout: with --json the report as JSON (the form for programs), otherwise
 * `render(report)`, the human tables (on a terminal and in a pipe alike).
 */
export function printReport<T>(report: T, json: boolean, render: (report: T) => string): void {
  process.stdout.write(json ? `${toJson(report)}\n` : render(report));
}
