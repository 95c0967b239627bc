/**
 * A role is stalled when it has work pending and its progress mark has not moved for stallMs:
 * capture with WAL not yet durable in Kafka and a durable LSN standing still, a merger with a batch
 * in flight and none finished. Busy but moving, or idle, is never stalled.
 */
export interface RoleProgress {
  /** Changes whenever the role gets something done (a durable LSN, a finished batch's time). */
  readonly mark: string;
  readonly pending: boolean;
}

export interface Stall {
  readonly role: string;
  readonly forMs: number;
}

export interface StallWatch {
  /** Records the roles' current progress; call it often (every second). */
  observe(roles: Readonly<Record<string, RoleProgress | undefined>>): void;
  /** The roles stalled as of the last observation. */
  stalled(): readonly Stall[];
}

export function createStallWatch(options: { stallMs: number; now: () => number }): StallWatch {
  const seen = new Map<string, { mark: string; since: number; pending: boolean }>();
  return {
    observe(roles) {
      const now = options.now();
      for (const [role, p] of Object.entries(roles)) {
        if (p === undefined) continue;
        const before = seen.get(role);
        // The clock runs from the last progress, or from when work became pending.
        const moved = before === undefined || before.mark !== p.mark || !before.pending;
        seen.set(role, { mark: p.mark, pending: p.pending, since: moved ? now : before.since });
      }
    },
    stalled() {
      const now = options.now();
      return [...seen]
        .filter(([, s]) => s.pending && now - s.since > options.stallMs)
        .map(([role, s]) => ({ role, forMs: now - s.since }));
    },
  };
}
