import { defineConfig } from "vitest/config";

// Unit tests are `*.test.ts`; anything touching the real stack is `*.int.test.ts`.
// The runner picks files by pattern, never by a hand-kept list.
const everywhere = ["packages/*/test/**", "apps/*/test/**", "test/**", "tools/**"];
const ignore = ["**/node_modules/**", "**/.stack/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: everywhere.map((d) => `${d}/*.test.ts`),
          exclude: [...ignore, "**/*.int.test.ts", "**/*.chaos.test.ts"],
          testTimeout: 60_000,
          // Projects run as phases: unit, then integration, then chaos.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: everywhere.map((d) => `${d}/*.int.test.ts`),
          exclude: ignore,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ["./test/global-setup.ts"],
          // Two cores, three PostgreSQL clusters and a broker: keep the file fan-out small.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          // Faults that disturb the shared stack (broker restarts, process kills under load):
          // run after every other project, one file at a time.
          name: "chaos",
          include: everywhere.map((d) => `${d}/*.chaos.test.ts`),
          exclude: ignore,
          testTimeout: 300_000,
          hookTimeout: 180_000,
          globalSetup: ["./test/global-setup.ts"],
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
