-- The call store. Runs on PostgreSQL 15 and on PGlite.
-- The high-volume tables (raw_records, calls, call_events, receipts) carry no foreign keys: their
-- per-row trigger checks would halve bulk-load speed, and the application writes them only for
-- switches it has created.

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES ('default', 'Default tenant');

CREATE TABLE switches (
  id serial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  name text NOT NULL UNIQUE,
  format text NOT NULL,
  timezone text NOT NULL DEFAULT 'UTC',
  dial_plan jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sources (
  id serial PRIMARY KEY,
  switch_id integer NOT NULL REFERENCES switches (id) ON DELETE CASCADE,
  name text NOT NULL,
  type text NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  UNIQUE (switch_id, name)
);

CREATE TABLE collectors (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  started_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  status jsonb NOT NULL DEFAULT '{}'
);

-- Ids of raw records are handed out in blocks: one nextval reserves 1024 ids for a batch.
CREATE SEQUENCE raw_record_id_blocks INCREMENT BY 1024 START WITH 1;

-- The journal is two tables: a record that made a call of its own is journaled in that call's row
-- (raw text, source, received_at, sequence), written once; every other record — failed with its
-- error, skipped (headers, banners), or an event of an event-stream format — is a row here.
CREATE TABLE raw_records (
  id bigint PRIMARY KEY,
  switch_id integer NOT NULL,
  source text NOT NULL,
  collector_id text,
  received_at timestamptz NOT NULL,
  sequence bigint NOT NULL,
  ordinal integer NOT NULL DEFAULT 0,
  raw text NOT NULL,
  status text NOT NULL CHECK (status IN ('skipped', 'failed', 'event')),
  error text
);
-- Records arrive in time order, so a BRIN index serves time ranges at almost no cost per insert.
CREATE INDEX raw_records_received ON raw_records USING brin (received_at);
CREATE INDEX raw_records_switch ON raw_records (switch_id, id);

-- One row per call. direction and disposition hold the contract's values (core/call.ts); the
-- application writes no others, and CHECK constraints here would cost a third of bulk-load speed.
-- The id is the dedupe key (UUID-shaped: the start time, then a hash of the
-- call's identity), so a call seen twice is stored once and inserts arrive in index order.
CREATE TABLE calls (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  switch_id integer NOT NULL,
  -- the journal entry of the record this call was parsed from
  source text NOT NULL,
  received_at timestamptz NOT NULL,
  sequence bigint NOT NULL,
  ordinal integer NOT NULL,
  raw text NOT NULL,
  -- for calls assembled from events: the raw_records of those events
  event_record_ids bigint[],
  call_id text,
  direction text NOT NULL,
  started_at timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at timestamptz,
  utc_offset smallint NOT NULL,
  ring_seconds integer,
  talk_seconds integer NOT NULL,
  hold_seconds integer,
  duration_seconds integer NOT NULL,
  disposition text NOT NULL,
  caller_number text,
  caller_name text,
  dialed_number text,
  called_number text,
  extension text,
  trunk text,
  account_code text,
  transferred_to text,
  answered_by text,
  hangup_cause smallint,
  extra jsonb NOT NULL DEFAULT '{}'
);
-- One secondary index: every read is scoped by tenant and nearly every one by time. Reports read
-- the rollups; each more index here costs a fifth of bulk-load speed.
CREATE INDEX calls_tenant_started ON calls (tenant_id, started_at);

CREATE TABLE call_events (
  id bigserial PRIMARY KEY,
  switch_id integer NOT NULL,
  raw_record_id bigint NOT NULL,
  call_ref text NOT NULL,
  event text NOT NULL,
  occurred_at timestamptz NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_switch_ref ON call_events (switch_id, call_ref);

-- Which collector saw which call (seed 000's "loggers" table).
CREATE TABLE receipts (
  call_id uuid NOT NULL,
  collector_id text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  PRIMARY KEY (call_id, collector_id)
);

-- Totals per hour, kept in the same transaction as the calls they count.
CREATE TABLE call_rollups_hourly (
  switch_id integer NOT NULL,
  tenant_id text NOT NULL,
  hour timestamptz NOT NULL,
  direction text NOT NULL,
  disposition text NOT NULL,
  calls integer NOT NULL,
  answered integer NOT NULL,
  talk_seconds bigint NOT NULL,
  duration_seconds bigint NOT NULL,
  PRIMARY KEY (switch_id, hour, direction, disposition)
);
CREATE INDEX call_rollups_hourly_tenant ON call_rollups_hourly (tenant_id, hour);
