import { countingResultsSpec, parseTableSpec, stateLayout } from "@georep/schema";
import { tableCodec } from "../src/postgres/tuple.ts";
import type { Values } from "../src/postgres/values.ts";
import type { Tuple } from "../src/postgres/tuple.ts";

export const codec = tableCodec(stateLayout(parseTableSpec(countingResultsSpec)));

/** A complete state tuple of counting_results as pgoutput sends it (text values). */
export function stateTuple(
  camera: string,
  overrides: Record<string, string | null | undefined> = {},
): Tuple {
  return {
    camera_id: camera,
    bucket: "2026-01-01 00:00:00+00",
    origin: "us-east",
    zone: null,
    people_in__p: "3",
    people_out__p: "0",
    vehicle_in__p: "0",
    vehicle_out__p: "0",
    model_version__v: "m1",
    model_version__t: "111",
    status__v: null,
    status__t: null,
    home_region__v: null,
    home_region__t: null,
    ins__t: "100",
    del__t: null,
    del__base: null,
    born__: "0",
    ...overrides,
  };
}

/** stateTuple as the decoder hands it on: values in codec.columns order. */
export function stateValues(
  camera: string,
  overrides: Record<string, string | null | undefined> = {},
): Values {
  return codec.toValues(stateTuple(camera, overrides));
}

/** A value of a coalesced row by column name. */
export function valueOf(values: Values | undefined, column: string): string | null | undefined {
  return values?.[codec.indexOf(column)];
}
