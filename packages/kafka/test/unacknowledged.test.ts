import { describe, expect, it } from "vitest";
import { unacknowledged } from "../src/unacknowledged.ts";

const rec = (topic: string, partition: number) => ({ topic, partition });
const ack = (topicName: string, partition: number, errorCode = 0) => ({
  topicName,
  partition,
  errorCode,
});

describe("unacknowledged", () => {
  it("is empty when every partition sent to is acknowledged", () => {
    expect(
      unacknowledged(
        [rec("a", 0), rec("a", 1), rec("a", 0), rec("b", 2)],
        [ack("a", 0), ack("a", 1), ack("b", 2)],
      ),
    ).toEqual([]);
  });

  it("names a partition kafkajs resolved without sending (its leader moved to a broker that had answered)", () => {
    // Broker 2 answered for partition 1; partition 0's leader died, moved to broker 2, and the
    // retry skipped broker 2: no acknowledgement for partition 0.
    expect(unacknowledged([rec("a", 0), rec("a", 1), rec("a", 0)], [ack("a", 1)])).toEqual([
      rec("a", 0),
    ]);
  });

  it("counts an acknowledgement with an error code as none, and tells topics apart", () => {
    expect(unacknowledged([rec("a", 0), rec("b", 0)], [ack("a", 0, 6), ack("b", 1)])).toEqual([
      rec("a", 0),
      rec("b", 0),
    ]);
  });
});
