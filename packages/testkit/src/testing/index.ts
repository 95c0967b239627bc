// The testkit is all test helpers; `@georep/testkit/testing` is the same surface as the root entry.
export * from "../index.ts";
