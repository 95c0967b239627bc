/** Prints a drill's measured figures (RTO, RPO, counts) as one block the test log keeps. */
export function printDrill(name: string, figures: Record<string, string | number | bigint>): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  const lines = Object.entries(figures).map(([k, v]) => `  ${k.padEnd(width)}  ${String(v)}`);
  console.log(`drill ${name}:\n${lines.join("\n")}`);
}

/** Milliseconds as seconds with one decimal: "12.3 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
