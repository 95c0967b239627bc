import type { Kafka } from "kafkajs";
import { toKafkaError } from "./errors.ts";

/**
 * Deletes a consumer group (its committed offsets). A group that does not exist is fine; one
 * with members still in it is refused by the broker (NON_EMPTY_GROUP): stop them first.
 * @throws KafkaError naming the group.
 */
export async function deleteGroup(kafka: Kafka, groupId: string): Promise<"deleted" | "absent"> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { groups } = await admin.listGroups();
    if (!groups.some((g) => g.groupId === groupId)) return "absent";
    await admin.deleteGroups([groupId]);
    return "deleted";
  } catch (error) {
    throw toKafkaError(error, { operation: "delete-group", group: groupId });
  } finally {
    await admin.disconnect();
  }
}
