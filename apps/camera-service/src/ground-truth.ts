import type { CountReport } from "./camera-writer.ts";

export interface Totals {
  peopleIn: bigint;
  peopleOut: bigint;
  vehicleIn: bigint;
  vehicleOut: bigint;
}

/** What was sent, per (camera, bucket) and overall: the ground truth every region must reach. */
export class GroundTruth {
  readonly perKey = new Map<string, Totals>();
  reports = 0;

  record(r: CountReport): void {
    const key = `${r.cameraId}|${r.bucket}`;
    const t = this.perKey.get(key) ?? {
      peopleIn: 0n,
      peopleOut: 0n,
      vehicleIn: 0n,
      vehicleOut: 0n,
    };
    t.peopleIn += BigInt(r.peopleIn);
    t.peopleOut += BigInt(r.peopleOut);
    t.vehicleIn += BigInt(r.vehicleIn);
    t.vehicleOut += BigInt(r.vehicleOut);
    this.perKey.set(key, t);
    this.reports += 1;
  }

  total(): Totals {
    const sum: Totals = { peopleIn: 0n, peopleOut: 0n, vehicleIn: 0n, vehicleOut: 0n };
    for (const t of this.perKey.values()) {
      sum.peopleIn += t.peopleIn;
      sum.peopleOut += t.peopleOut;
      sum.vehicleIn += t.vehicleIn;
      sum.vehicleOut += t.vehicleOut;
    }
    return sum;
  }
}
