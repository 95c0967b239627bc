// The CLI's only output channel: progress on stderr, results on stdout.
export function step(message: string): void {
  process.stderr.write(`· ${message}\n`);
}

export function out(message = ""): void {
  process.stdout.write(`${message}\n`);
}

export function seconds(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)}s`;
}
