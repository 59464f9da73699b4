import type { ColumnType, Generated } from 'kysely';

// The tables as Kysely sees them. Migrations in ./migrations are the source of truth.

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface TenantsTable {
  id: string;
  name: string;
  created_at: Generated<Timestamp>;
}

export interface SwitchesTable {
  id: Generated<number>;
  tenant_id: string;
  name: string;
  format: string;
  timezone: string;
  dial_plan: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

export interface SourcesTable {
  id: Generated<number>;
  switch_id: number;
  name: string;
  type: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  enabled: boolean;
}

export interface CollectorsTable {
  id: string;
  hostname: string;
  started_at: Timestamp;
  last_seen_at: Timestamp;
  status: ColumnType<Record<string, unknown>, string, string>;
}

/** `parsed` records are journaled in their call's row; the others in raw_records. */
export type RawRecordStatus = 'parsed' | 'skipped' | 'failed' | 'event';

export interface RawRecordsTable {
  id: ColumnType<string, string | number, never>;
  switch_id: number;
  source: string;
  collector_id: string | null;
  received_at: Timestamp;
  sequence: ColumnType<string, string | number, string | number>;
  ordinal: number;
  raw: string;
  status: Exclude<RawRecordStatus, 'parsed'>;
  error: string | null;
}

export interface CallsTable {
  id: string;
  tenant_id: string;
  switch_id: number;
  source: string;
  received_at: Timestamp;
  sequence: ColumnType<string, string | number, string | number>;
  ordinal: number;
  raw: string;
  event_record_ids: ColumnType<string[] | null, string | null, string | null>;
  call_id: string | null;
  direction: string;
  started_at: Timestamp;
  answered_at: Timestamp | null;
  ended_at: Timestamp | null;
  utc_offset: number;
  ring_seconds: number | null;
  talk_seconds: number;
  hold_seconds: number | null;
  duration_seconds: number;
  disposition: string;
  caller_number: string | null;
  caller_name: string | null;
  dialed_number: string | null;
  called_number: string | null;
  extension: string | null;
  trunk: string | null;
  account_code: string | null;
  transferred_to: string | null;
  answered_by: string | null;
  hangup_cause: number | null;
  extra: ColumnType<Record<string, unknown>, string, string>;
  /** Money in nano-units (10⁻⁹ of the currency); bigint comes back as text. */
  cost_nanos: ColumnType<string | null, string | number | null, string | number | null>;
  cost_currency: string | null;
  cost_plan: string | null;
  price_nanos: ColumnType<string | null, string | number | null, string | number | null>;
  price_currency: string | null;
  price_plan: string | null;
  destination: string | null;
  person: string | null;
  department: string | null;
  cost_centre: string | null;
  listed: string | null;
}

/** A leg of a multi-leg format (migration 004): a call's columns, and the call it is part of. */
export interface CallLegsTable extends CallsTable {
  logical_call_id: string | null;
}

export interface LegKeysTable {
  switch_id: number;
  key: string;
  logical_call_id: string;
}

export interface CallEventsTable {
  id: Generated<string>;
  switch_id: number;
  raw_record_id: string;
  call_ref: string;
  event: string;
  occurred_at: Timestamp;
  data: ColumnType<Record<string, unknown>, string, string>;
}

export interface ReceiptsTable {
  call_id: string;
  collector_id: string;
  first_seen_at: Timestamp;
}

export interface CallRollupsHourlyTable {
  switch_id: number;
  tenant_id: string;
  hour: Timestamp;
  direction: string;
  disposition: string;
  calls: number;
  answered: number;
  talk_seconds: ColumnType<string, number | string, number | string>;
  duration_seconds: ColumnType<string, number | string, number | string>;
  cost_nanos: ColumnType<string, number | string, number | string>;
  price_nanos: ColumnType<string, number | string, number | string>;
}

export interface RatePlansTable {
  id: string;
  name: string;
  kind: 'sell' | 'buy';
  tenant_id: string | null;
  carrier: string | null;
  trunks: string[];
  currency: string;
  plan: ColumnType<unknown, string, string>;
  updated_at: Generated<Timestamp>;
}

export interface DestinationsTable {
  tenant_id: string | null;
  prefix: string;
  name: string;
}

export interface DirectoryEntriesTable {
  id: Generated<number>;
  tenant_id: string;
  extension: string;
  person: string | null;
  department: string | null;
  cost_centre: string | null;
  /** date columns: read them as text (valid_from::text) to get YYYY-MM-DD. */
  valid_from: ColumnType<Date | string | null, string | null, string | null>;
  valid_to: ColumnType<Date | string | null, string | null, string | null>;
}

export interface NumberListsTable {
  id: Generated<number>;
  tenant_id: string;
  list: 'blacklist' | 'whitelist';
  kind: 'prefix' | 'country';
  value: string;
  label: string | null;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Timestamp>;
}

export interface Schema {
  tenants: TenantsTable;
  switches: SwitchesTable;
  sources: SourcesTable;
  collectors: CollectorsTable;
  raw_records: RawRecordsTable;
  calls: CallsTable;
  call_legs: CallLegsTable;
  leg_keys: LegKeysTable;
  call_events: CallEventsTable;
  receipts: ReceiptsTable;
  call_rollups_hourly: CallRollupsHourlyTable;
  rate_plans: RatePlansTable;
  destinations: DestinationsTable;
  directory_entries: DirectoryEntriesTable;
  number_lists: NumberListsTable;
  schema_migrations: SchemaMigrationsTable;
}
