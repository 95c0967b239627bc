import type pg from "pg";

/** A pool or a single connection: whatever runs the reader's plain SQL. */
export type Queryable = pg.Pool | pg.Client | pg.PoolClient;
