import { connect } from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { InstallError, sqlStateOf } from "../src/index.ts";

function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError("deadlock detected", 0, "error");
  error.code = code;
  return error;
}

/** The error Node gives for a refused TCP connection (nothing listens on port 1). */
function refusedConnection(): Promise<Error> {
  return new Promise((resolve) => {
    connect({ host: "127.0.0.1", port: 1 }).on("error", resolve);
  });
}

describe("sqlStateOf", () => {
  it("reads pg's DatabaseError", () => {
    expect(sqlStateOf(databaseError("40P01"))).toBe("40P01");
  });

  it("reads any object whose code has a SQLSTATE's shape", () => {
    expect(sqlStateOf({ code: "23505" })).toBe("23505");
    expect(sqlStateOf(Object.assign(new Error("x"), { code: "XX000" }))).toBe("XX000");
  });

  it("finds the SQLSTATE of a wrapped error", () => {
    const wrapped = new Error("merge failed", {
      cause: new Error("step", { cause: databaseError("22P02") }),
    });
    expect(sqlStateOf(wrapped)).toBe("22P02");
  });

  it("never labels a Node error as a SQLSTATE", async () => {
    const refused = await refusedConnection();
    expect((refused as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    expect(sqlStateOf(refused)).toBeUndefined();
    expect(sqlStateOf(new Error("x", { cause: refused }))).toBeUndefined();
    expect(new InstallError("cannot connect", { cause: refused, step: "connect" }).sqlState).toBe(
      undefined,
    );
    // Five upper-case letters, like a SQLSTATE, but a system call failed.
    const eperm = Object.assign(new Error("kill EPERM"), {
      code: "EPERM",
      errno: -1,
      syscall: "kill",
    });
    expect(sqlStateOf(eperm)).toBeUndefined();
  });

  it("returns undefined for values that are not PostgreSQL errors", () => {
    for (const value of [undefined, null, "23505", 23505, {}, { code: 23505 }, { code: "2350" }])
      expect(sqlStateOf(value)).toBeUndefined();
    expect(sqlStateOf({ code: "ERR_INVALID_ARG_TYPE" })).toBeUndefined();
  });

  it("stops after a few levels of causes, even on a cycle", () => {
    const a: { cause?: unknown } = {};
    a.cause = a;
    expect(sqlStateOf(a)).toBeUndefined();
  });
});
