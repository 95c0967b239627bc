import { describe, expect, it } from "vitest";
import { runOrFail, withoutUrlPasswords } from "../proc.ts";

describe("passwords in failed commands' messages", () => {
  it("hides a connection URL's password and keeps the rest", () => {
    expect(
      withoutUrlPasswords(
        "pg_basebackup -d postgres://postgres:s3cr%40t@localhost:5432/postgres?sslmode=verify-full -R",
      ),
    ).toBe(
      "pg_basebackup -d postgres://postgres:***@localhost:5432/postgres?sslmode=verify-full -R",
    );
    expect(withoutUrlPasswords("pg_dump --dbname=postgres://u@h:1/db")).toBe(
      "pg_dump --dbname=postgres://u@h:1/db",
    );
  });

  it("names a failed command without the password of the URL it was given", async () => {
    let error: Error | undefined;
    try {
      await runOrFail("false", ["postgres://admin:hunter2@localhost/x"], "fix");
    } catch (e) {
      error = e as Error;
    }
    if (error === undefined) throw new Error("false succeeded");
    expect(error.message).toContain("false postgres://admin:***@localhost/x exited with 1");
    expect(error.message).not.toContain("hunter2");
  });
});
