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
  {
    version: 3,
    description:
      "incarnations: the replica id a region writes under, and the database identity it was started on",
    sql: `
-- One row per incarnation of this region; the newest is the one the capture trigger writes under.
-- A database whose identity no longer matches it (restored, failed over) lost part of its history
-- and must start a new incarnation before it takes writes again (docs/data-model.md).
CREATE TABLE IF NOT EXISTS georep.incarnations (
  replica text PRIMARY KEY,
  incarnation bigint NOT NULL UNIQUE,
  reason text NOT NULL,
  system_identifier text NOT NULL,
  timeline integer NOT NULL,
  database_oid oid NOT NULL,
  stamp_floor bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Set once a slot streamed this incarnation's changes: from then on a missing or lost slot may
  -- mean lost history, and starts a new incarnation.
  attached_at timestamptz,
  repaired_at timestamptz
);
-- What tells one database history from another: initdb's system identifier, the WAL timeline
-- (a promoted standby or a point-in-time recovery starts a new one) and the database's oid (a
-- restored dump gets a new one). SECURITY DEFINER: pg_control_system() is not for every role.
CREATE OR REPLACE FUNCTION georep.db_identity(OUT system_identifier text, OUT timeline integer, OUT database_oid oid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT (SELECT c.system_identifier::text FROM pg_catalog.pg_control_system() c),
         ('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::integer,
         (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
$$;
-- Called by the capture trigger once per session and replica: refuses local writes on a database
-- that is no longer the one the replica was started on, until the replicator starts a new
-- incarnation. Writing on under the old replica would be swallowed by its peers' max-merge.
CREATE OR REPLACE FUNCTION georep.check_incarnation(want text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  inc record;
  me record;
BEGIN
  SELECT i.system_identifier, i.timeline, i.database_oid INTO inc FROM georep.incarnations i WHERE i.replica = want;
  IF FOUND THEN
    SELECT * INTO me FROM georep.db_identity();
    IF (me.system_identifier, me.timeline, me.database_oid) IS DISTINCT FROM (inc.system_identifier, inc.timeline, inc.database_oid) THEN
      RAISE EXCEPTION 'georep: this database is not the one replica % was started on (system identifier %, timeline %, database oid % now; %, %, % then): it was restored or failed over, and takes no replicated writes until georep starts a new incarnation',
        want, me.system_identifier, me.timeline, me.database_oid, inc.system_identifier, inc.timeline, inc.database_oid
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Start this region''s georep replicator against this database: it starts a new incarnation at once; then retry.';
    END IF;
  END IF;
  PERFORM set_config('georep.replica_ok', want, false);
END
$$;
`,
  },
  {
    version: 4,
    description:
      "quarantine: remote row slices this region set aside, with the reason, until replayed",
    sql: `
-- A remote row slice the merger did not merge: refused by this region's table (a constraint the
-- other regions lack), stamped too far in the future, or blocked behind a long local lock. It is
-- recorded in the same transaction as the batch's progress, so it is never lost, and merged by
-- georep dlq replay (lock waits: automatically) once the cause is gone. One row per source
-- message and row key: a batch processed twice sets it aside once. (A hash of the key: a key
-- PostgreSQL refuses for its length must not be refused again here.)
CREATE TABLE IF NOT EXISTS georep.quarantine (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  row_key text NOT NULL,
  origin text NOT NULL,
  reason text NOT NULL,
  sql_state text,
  detail text NOT NULL,
  source text NOT NULL,
  envelope jsonb NOT NULL,
  quarantined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_attempt_at timestamptz,
  attempts integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS quarantine_source_row ON georep.quarantine (source, md5(row_key));
CREATE INDEX IF NOT EXISTS quarantine_reason ON georep.quarantine (reason, id);
`,
  },
  {
    version: 5,
    description: "leadership lease: the active replicator's epoch, holder and expiry",
    sql: `
-- One row: the region's active replicator. It renews expires_at every few seconds; a standby
-- takes over (epoch + 1) once the lease expired or the holder's session is gone. Merge
-- transactions lock the row FOR KEY SHARE and check the epoch, so a takeover (FOR UPDATE) waits
-- for the old active's merges in flight, and the old active can commit none after it.
CREATE TABLE IF NOT EXISTS georep.leader (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch bigint NOT NULL,
  holder text NOT NULL,
  holder_pid integer NOT NULL,
  renewed_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
INSERT INTO georep.leader (epoch, holder, holder_pid, renewed_at, expires_at)
SELECT coalesce((SELECT value::bigint FROM georep.settings WHERE key = 'leader_epoch'), 0),
  '', 0, clock_timestamp(), '-infinity'
ON CONFLICT (id) DO NOTHING;
`,
  },
  {
    version: 6,
    description:
      "gaps: offsets of a source partition deleted by Kafka before this region read them",
    sql: `
-- Offsets [from_offset, to_offset] of a source partition that retention deleted before this
-- region's merger read them (docs/merge.md, "Gaps"). Recorded before the merge moves progress past
-- them, so a gap is never lost; one row per gap start, so a batch read twice records it once.
-- Repair from the origin region's state brings back what the records carried, then sets
-- repaired_at.
CREATE TABLE IF NOT EXISTS georep.gaps (
  origin text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  from_offset bigint NOT NULL,
  to_offset bigint NOT NULL CHECK (to_offset >= from_offset),
  detected_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  repaired_at timestamptz,
  PRIMARY KEY (topic, partition, from_offset)
);
CREATE INDEX IF NOT EXISTS gaps_unrepaired ON georep.gaps (origin) WHERE repaired_at IS NULL;
`,
  },
  {
    version: 7,
    description:
      "tombstone collection: how far this region and its peers applied every origin (heartbeats carry it)",
    sql: `
-- Every heartbeat now says how far its region got (docs/data-model.md, "Tombstones"):
-- stable: every change of the region committed after the beat is stamped at or above it;
-- applied: {origin: stamp}, every change of that origin stamped below it is applied here.
ALTER TABLE georep.heartbeat ADD COLUMN IF NOT EXISTS stable bigint, ADD COLUMN IF NOT EXISTS applied jsonb;
-- Per source partition, the newest heartbeat of its origin this region has merged: every change
-- of the origin committed before it on that partition is applied here.
CREATE TABLE IF NOT EXISTS georep.peer_progress (
  topic text NOT NULL,
  partition integer NOT NULL,
  origin text NOT NULL,
  stable bigint NOT NULL,
  applied jsonb NOT NULL,
  heard_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (topic, partition)
);
-- What this region has applied of each origin, computed by the merger from peer_progress over
-- every partition it consumes; the heartbeat reports it. An origin is absent while unknown.
CREATE TABLE IF NOT EXISTS georep.applied (
  origin text PRIMARY KEY,
  stamp bigint NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- A stamp below every stamp a transaction committing after this call can carry: a write is
-- stamped at or above the wall clock when it runs, so at or above its transaction's start. One
-- second below, for a trigger that stamps just before its transaction shows as started.
-- SECURITY DEFINER: other sessions' xact_start is hidden from roles without pg_read_all_stats.
CREATE OR REPLACE FUNCTION georep.stable_stamp() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT (floor(extract(epoch FROM least(clock_timestamp(), min(a.xact_start))) * 1000)::bigint - 1000) << 16
  FROM pg_catalog.pg_stat_activity a
  WHERE a.datname = pg_catalog.current_database() AND a.backend_type = 'client backend'
$$;
`,
  },
  {
    version: 8,
    description: "region membership: removed regions keep their row, marked removed_at",
    sql: `
-- Set by \`georep region remove\`: the region is no longer consumed or waited for, its
-- components stay in every state row, and its id is never reused.
ALTER TABLE georep.regions ADD COLUMN IF NOT EXISTS removed_at timestamptz;
`,
  },
  {
    version: 9,
    description:
      "audit trail: who ran which operator command, when, with which flags, and how it ended",
    sql: `
-- One row when an audited georep command starts ('started') and one when it ends ('ok' or
-- 'failed' with the error), in every region it acts on; both carry the invocation's run id.
-- arguments are the flags as given, secrets redacted by the CLI; never a file's contents.
CREATE TABLE IF NOT EXISTS georep.audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  run uuid NOT NULL,
  actor text NOT NULL,
  command text NOT NULL,
  arguments jsonb NOT NULL,
  region text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('started', 'ok', 'failed')),
  detail text
);
CREATE INDEX IF NOT EXISTS audit_at ON georep.audit (at);
-- The database's part of a row is its own: the time it was written and the role that logged in
-- to write it are set here, whatever the INSERT said, so a hand-written row cannot claim them.
CREATE OR REPLACE FUNCTION georep.audit_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.at := pg_catalog.clock_timestamp();
  NEW.actor := NEW.actor || ' as ' || session_user;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS audit_stamp ON georep.audit;
CREATE TRIGGER audit_stamp BEFORE INSERT ON georep.audit
  FOR EACH ROW EXECUTE FUNCTION georep.audit_stamp();
-- Append-only: a trail its subjects can quietly edit is worth little. Per statement, so even an
-- UPDATE or DELETE that matches no row is refused. Old rows go only through
-- georep.prune_audit, which keeps at least 30 days and records itself.
CREATE OR REPLACE FUNCTION georep.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'georep: georep.audit is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Rows older than a retention go with SELECT georep.prune_audit(''90 days'') (docs/operate.md, "Audit trail").';
END $$;
DROP TRIGGER IF EXISTS audit_append_only ON georep.audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON georep.audit
  FOR EACH STATEMENT EXECUTE FUNCTION georep.audit_append_only();
-- Retention, for the table's owner only: ALTER TABLE needs ownership, and the trigger is off
-- only inside this transaction (the ALTER's lock holds other writers until it commits). The
-- prune itself is recorded.
CREATE OR REPLACE FUNCTION georep.prune_audit(keep interval) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  deleted bigint;
BEGIN
  IF keep IS NULL OR keep < interval '30 days' THEN
    RAISE EXCEPTION 'georep: prune_audit keeps at least 30 days of the audit trail (asked: %)', keep
      USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. SELECT georep.prune_audit(''90 days'')';
  END IF;
  ALTER TABLE georep.audit DISABLE TRIGGER audit_append_only;
  DELETE FROM georep.audit WHERE at < clock_timestamp() - keep;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  ALTER TABLE georep.audit ENABLE TRIGGER audit_append_only;
  INSERT INTO georep.audit (run, actor, command, arguments, region, outcome, detail)
  VALUES (gen_random_uuid(), coalesce(nullif(current_setting('application_name'), ''), 'sql'),
          'audit prune', jsonb_build_object('keep', keep::text),
          coalesce((SELECT value FROM georep.settings WHERE key = 'region'), ''), 'ok',
          format('%s row(s) older than %s deleted', deleted, keep));
  RETURN deleted;
END $$;
REVOKE ALL ON FUNCTION georep.prune_audit(interval) FROM PUBLIC;
`,
  },
  {
    version: 10,
    description: "least privilege: the capture role (georep_reader) holds the leadership lease",
    // The grant itself is in ROLES_SQL, which the installer runs after any migration (the roles
    // may not exist yet while migrations run on a fresh database).
    sql: "SELECT 1",
  },
  {
    version: 11,
    description:
      "least privilege: capture records incarnations only through georep.switch_incarnation",
    // As version 10: the grants are in ROLES_SQL (the reader keeps UPDATE (attached_at) only).
    sql: "SELECT 1",
  },
  {
    version: 12,
    description: "least privilege: georep_peer, the read-only login of peers' automatic repair",
    // As version 10: the role and its grants are in ROLES_SQL (state tables: tableGrantsSql,
    // recompiled by COMPILER_VERSION 11).
    sql: "SELECT 1",
  },
  {
    version: 13,
    description:
      "collection holds: a region being added holds tombstone collection until it is a member",
    sql: `
-- Written by \`georep region add\` in every peer before it copies a snapshot, deleted once the new
-- region is a member there: tombstone collection waits for a held region as for a silent member
-- (docs/data-model.md, "A region being added"). The merge role reads it (grant in ROLES_SQL).
CREATE TABLE IF NOT EXISTS georep.collection_holds (
  region text PRIMARY KEY,
  reason text NOT NULL,
  since timestamptz NOT NULL DEFAULT clock_timestamp()
);
`,
  },
];

/** Every engine migration's version, ascending: what a database installed by this georep holds. */
export const ENGINE_MIGRATION_VERSIONS: readonly number[] = ENGINE_MIGRATIONS.map(
  (m) => m.version,
).sort((a, b) => a - b);
