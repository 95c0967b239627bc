import { describe, expect, it } from "vitest";
import {
  componentColumns,
  countingResultsSpec,
  parseTableSpec,
  stateLayout,
} from "../src/index.ts";

describe("stateLayout", () => {
  const layout = stateLayout(parseTableSpec(countingResultsSpec));

  it("names the engine objects under the georep schema", () => {
    expect(layout.stateTable).toBe('georep."state__public__counting_results"');
    expect(layout.visibleView).toBe('georep."visible__public__counting_results"');
  });

  it("gives every counter a p component and registers a value and a stamp", () => {
    expect(componentColumns(layout)).toEqual([
      "people_in__p",
      "people_out__p",
      "vehicle_in__p",
      "vehicle_out__p",
    ]);
    expect(layout.registers.map((r) => [r.value, r.stamp])).toContainEqual([
      "status__v",
      "status__t",
    ]);
  });

  it("gives a pncounter both components", () => {
    const spec = parseTableSpec({
      name: "stock",
      key: [{ name: "sku", type: "text" }],
      columns: [{ name: "level", type: "bigint", crdt: "pncounter" }],
      home: {
        kind: "prefix",
        column: "sku",
        prefixes: [{ prefix: "eu", region: "eu-west" }],
        otherwise: "us-east",
      },
    });
    expect(componentColumns(stateLayout(spec))).toEqual(["level__p", "level__n"]);
  });
});
