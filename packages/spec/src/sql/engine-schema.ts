/**
 * Engine-owned tables shared by every replicated table of a region database, as numbered
 * migrations. A migration is never edited once released: add a new one.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const ENGINE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description:
      "engine schema: settings, regions, heartbeat, progress, conflict ledger, installed specs",
    sql: `
CREATE TABLE IF NOT EXISTS georep.settings (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS georep.regions (id text PRIMARY KEY, zone text);
-- Written by the region's reader every few seconds so idle or fully-filtered slots still advance
-- and remote regions can tell "idle" from "lagging".
CREATE TABLE IF NOT EXISTS georep.heartbeat (
  region text PRIMARY KEY,
  stamp bigint NOT NULL,
  beat_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Merge progress per (topic, partition), written in the same transaction as the merge.
CREATE TABLE IF NOT EXISTS georep.progress (
  topic text NOT NULL,
  partition integer NOT NULL,
  origin text NOT NULL,
  kafka_offset bigint NOT NULL,
  source_lsn text,
  source_commit_time timestamptz,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS georep.conflicts (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  row_key jsonb NOT NULL,
  column_name text NOT NULL,
  winner_value text,
  winner_stamp bigint NOT NULL,
  winner_region text NOT NULL,
  loser_value text,
  loser_stamp bigint NOT NULL,
  loser_region text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS conflicts_recorded_at ON georep.conflicts (recorded_at);
CREATE TABLE IF NOT EXISTS georep.installed (
  table_name text PRIMARY KEY,
  spec_hash text NOT NULL,
  spec jsonb NOT NULL,
  installed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- HLC stamp of the wall clock: milliseconds << 16, the low 16 bits being the logical counter.
CREATE OR REPLACE FUNCTION georep.wall_stamp() RETURNS bigint LANGUAGE sql VOLATILE AS
$$ SELECT (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) << 16 $$;
`,
  },
  {
    version: 2,
    description: "resync markers: an own-state emit that has not been acknowledged by Kafka yet",
    sql: `
-- Written by the reader before it creates a slot (or recreates a lost one) and deleted once
-- every row of the own-state emit is acknowledged by Kafka: a crash in between leaves the marker,
-- and the next start emits again instead of streaming on from a slot that skipped that state.
CREATE TABLE IF NOT EXISTS georep.resync (
  slot text PRIMARY KEY,
  reason text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
`,
  },
];
