import pg from "pg";

// Here because every package that talks to PostgreSQL (reader, merger, repair, the installer)
// already depends on @georep/schema: one definition, no new package, no cycle.

/** A SQLSTATE is five characters of digits and upper-case letters (PostgreSQL Appendix A). */
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** How far down a chain of `cause`s to look: wrappers nest a few deep, never more. */
const MAX_DEPTH = 5;

/**
 * The SQLSTATE PostgreSQL gave for `error`, or for the error it wraps (its `cause`, a few levels
 * down); undefined when no PostgreSQL server answered. Only a server error carries one: pg's
 * DatabaseError, or an object whose `code` has a SQLSTATE's shape. Node's system errors also
 * have a `code` ("ECONNREFUSED", and "EPERM" even has five letters) and are never SQLSTATEs:
 * the connection failed before PostgreSQL could answer.
 */
export function sqlStateOf(error: unknown): string | undefined {
  let e = error;
  for (let depth = 0; typeof e === "object" && e !== null && depth < MAX_DEPTH; depth++) {
    const code = ownSqlState(e);
    if (code !== undefined) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function ownSqlState(e: object): string | undefined {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !SQLSTATE.test(code)) return undefined;
  if (e instanceof pg.DatabaseError) return code;
  return isNodeSystemError(e) ? undefined : code;
}

/** Node's system errors (libuv) carry the failed `syscall` and a numeric `errno`. */
function isNodeSystemError(e: object): boolean {
  return "syscall" in e || typeof (e as { errno?: unknown }).errno === "number";
}
