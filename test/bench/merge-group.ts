// A region's merge consumer group as the broker describes it: who is in it and which partitions
// each member holds. The workers bench times only a formed group, so that no rebalance counts.
import { AssignerProtocol } from "kafkajs";
import type { Admin } from "kafkajs";
import { testKafka, waitFor } from "@georep/testkit";

export const mergeGroupId = (region: string): string => `georep-merger-${region}`;

async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka("georep-bench-group").admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A formed group: who holds which partitions. */
export interface FormedGroup {
  /** Member id → partitions, both sorted: two equal lines mean the same members kept the same partitions. */
  readonly line: string;
  /** Partitions per member, most first. */
  readonly split: readonly number[];
}

/**
 * The group when it is stable with `members` members holding every partition of `topic` between
 * them; otherwise undefined.
 */
export async function formedGroup(
  groupId: string,
  topic: string,
  partitions: number,
  members: number,
): Promise<FormedGroup | undefined> {
  const { groups } = await withAdmin((admin) => admin.describeGroups([groupId]));
  const group = groups[0];
  if (group?.state !== "Stable" || group.members.length !== members) return undefined;
  const held = group.members.map((m) => ({
    id: m.memberId,
    partitions: [
      ...(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? []),
    ].sort((a, b) => a - b),
  }));
  if (held.reduce((n, m) => n + m.partitions.length, 0) !== partitions) return undefined;
  return {
    line: held
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((m) => `${m.id} → ${m.partitions.join(",")}`)
      .join("; "),
    split: held.map((m) => m.partitions.length).sort((a, b) => b - a),
  };
}

/**
 * Waits (at most 60 s) for the group to be stable with `members` members holding every partition.
 * @returns the group as formedGroup() describes it.
 * @throws WaitForTimeoutError when it does not form.
 */
export const waitForGroup = (
  groupId: string,
  topic: string,
  partitions: number,
  members: number,
): Promise<FormedGroup> =>
  waitFor(async () => formedGroup(groupId, topic, partitions, members), {
    description: `consumer group ${groupId} stable with ${members} member(s) holding ${partitions} partitions`,
    timeoutMs: 60_000,
    intervalMs: 200,
  });

/** Deletes the group's committed offsets on the broker; its members must have left. */
export async function deleteGroup(groupId: string): Promise<void> {
  await withAdmin((admin) => admin.deleteGroups([groupId]));
}
