import { ensureStackUp } from "@georep/testkit";

// Integration tests run against the real stack; bring it up (idempotent) before any file runs.
export async function setup(): Promise<void> {
  await ensureStackUp();
}
