// One progress bar for every long command (verify, repair, rehome), on stderr:
//
//   off (--json, or stderr is not a terminal) ── every call does nothing
//   on: idle ──update(stage A)──▶ bar A ──update(stage A)──▶ bar A redrawn
//                                    └──update(stage B)──▶ bar A ends its line; bar B
//       stop() ends the current bar's line (safe to call twice).
import cliProgress from "cli-progress";

export interface ProgressBar {
  /** `value` of `total` for one stage (a table, a source); a stage with total 0 draws nothing. */
  update(stage: string, value: number, total: number, payload?: Record<string, string>): void;
  stop(): void;
}

/** Bars only where a person watches: stderr is a terminal and --json was not given. */
export function progressWanted(
  json: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): boolean {
  return stream.isTTY && !json;
}

/**
 * A bar drawn with `format` (cli-progress tokens: {bar} {value} {total} and the payload's keys),
 * or one that draws nothing when `enabled` is false.
 */
export function progressBar(
  format: string,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format, hideCursor: true, stream },
    cliProgress.Presets.shades_classic,
  );
  let shown: string | undefined;
  return {
    update(stage, value, total, payload = {}) {
      if (total === 0) return;
      if (shown === stage) {
        bar.setTotal(total);
        bar.update(value, payload);
        return;
      }
      if (shown !== undefined) bar.stop();
      bar.start(total, value, payload);
      shown = stage;
    },
    stop() {
      if (shown !== undefined) bar.stop();
      shown = undefined;
    },
  };
}
