import type { Selectable } from 'kysely';
import type { Call, CallEvent } from '../core/call.js';
import { readDigits } from '../core/digits.js';
import { epochOfIso, isoInZone, toIso } from '../core/time.js';
import { BinaryCopyWriter } from './copy-binary.js';
import { copyRow, type Database, type Tx } from './database.js';
import { JournalIdAllocator } from './journal-ids.js';
import type { CallsTable, RawRecordStatus } from './schema.js';
import type { TenantScope } from './scope.js';
import { joinLegs } from './call-legs.js';

/** One received record as the journal keeps it. `id` is set when it is written to raw_records. */
export interface JournalEntry {
  id: number | null;
  switchId: number;
  source: string;
  collectorId: string | null;
  receivedAt: Date;
  sequence: number;
  ordinal: number;
  raw: string;
  status: RawRecordStatus;
  error: string | null;
}

/**
 * What rating found for a call (src/pipeline/pricing.ts), written to the call's own columns. Money
 * is in integer nano-units (10⁻⁹ of the currency, as the rating engine counts); null: not rated.
 */
export interface CallRating {
  costNanos: number | null;
  costCurrency: string | null;
  /** The buy plan that priced the cost. */
  costPlan: string | null;
  priceNanos: number | null;
  priceCurrency: string | null;
  /** The sell plan that priced the price. */
  pricePlan: string | null;
  destination: string | null;
  person: string | null;
  department: string | null;
  costCentre: string | null;
  listed: 'blacklist' | 'whitelist' | null;
}

export interface CallToStore {
  /** The dedupe key, UUID-shaped. */
  key: string;
  tenantId: string;
  switchId: number;
  switchName: string;
  call: Call;
  /** call.startedAt as epoch milliseconds, parsed once. */
  startedAtMs: number;
  /** The journal entry kept in the call's row: its own record's, or the first event's for an assembled call. */
  journal: Pick<JournalEntry, 'source' | 'receivedAt' | 'sequence' | 'ordinal'>;
  /** For a call assembled from events: their records, journaled in raw_records. */
  eventRecords: JournalEntry[] | null;
  /** Set when the switch has pricing; without it the rating columns stay null. */
  rating?: CallRating | null;
  /** Set for a leg of a multi-leg format: stored in call_legs and joined into its call (call-legs.ts). */
  leg?: LegJoin;
}

/** How the legs of a switch's multi-leg format join into calls (made in src/pipeline/ingest.ts). */
export interface LegJoin {
  /** The keys a leg shares with the other legs of its call (the format's legKeys). */
  keys(call: Call): readonly string[];
  /** The call that legs known to belong together make up, given in the order they were read. */
  merge(legs: readonly Call[]): Call;
  price(call: Call, tenantId: string, startedAtMs: number): CallRating | null;
}

export interface EventToStore {
  switchId: number;
  record: JournalEntry;
  event: CallEvent;
}

export interface Batch {
  entries: JournalEntry[];
  calls: CallToStore[];
  events: EventToStore[];
  collectorId: string | null;
}

export interface BatchResult {
  /** The calls and legs stored that were not stored before. */
  inserted: CallToStore[];
  duplicates: number;
  /** The calls the new legs made or changed (written again as a whole). */
  joined: CallToStore[];
}

const RAW_COLUMNS = ['id', 'switch_id', 'source', 'collector_id', 'received_at', 'sequence', 'ordinal', 'raw', 'status', 'error'] as const;
const CALL_COLUMNS = [
  'id', 'tenant_id', 'switch_id', 'source', 'received_at', 'sequence', 'ordinal', 'raw', 'event_record_ids', 'call_id',
  'direction', 'started_at', 'answered_at', 'ended_at', 'utc_offset', 'ring_seconds', 'talk_seconds', 'hold_seconds',
  'duration_seconds', 'disposition', 'caller_number', 'caller_name', 'dialed_number', 'called_number', 'extension', 'trunk',
  'account_code', 'transferred_to', 'answered_by', 'hangup_cause', 'extra',
  'cost_nanos', 'cost_currency', 'cost_plan', 'price_nanos', 'price_currency', 'price_plan', 'destination', 'person', 'department',
  'cost_centre', 'listed',
] as const;
const EVENT_COLUMNS = ['switch_id', 'raw_record_id', 'call_ref', 'event', 'occurred_at', 'data'] as const;
const UNIQUE_VIOLATION = '23505';
const HOUR = 3600 * 1000;

/** The UTC offset written at the end of an ISO string, in minutes. */
export function offsetOfIso(iso: string): number {
  if (iso.length === 25 && (iso[19] === '+' || iso[19] === '-') && iso[22] === ':') {
    const hours = readDigits(iso, 20, 22);
    const minutes = readDigits(iso, 23, 25);
    if (hours >= 0 && minutes >= 0) return (iso[19] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  if (iso.endsWith('Z')) return 0;
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** A record journaled in raw_records rather than in a call's row. */
function inRawRecords(entry: JournalEntry): boolean {
  return entry.status !== 'parsed';
}

function timeOf(iso: string | null): number | null {
  return iso === null ? null : epochOfIso(iso);
}

/** A call's rating columns when nothing rated it. */
export const UNRATED: Readonly<CallRating> = {
  costNanos: null,
  costCurrency: null,
  costPlan: null,
  priceNanos: null,
  priceCurrency: null,
  pricePlan: null,
  destination: null,
  person: null,
  department: null,
  costCentre: null,
  listed: null,
};

function encodeCalls(calls: CallToStore[]): Buffer {
  const w = new BinaryCopyWriter(calls.length * 400 + 1024);
  for (const c of calls) {
    const call = c.call;
    const j = c.journal;
    const r = c.rating ?? UNRATED;
    w.row(CALL_COLUMNS.length)
      .uuid(c.key)
      .text(c.tenantId)
      .int4(c.switchId)
      .text(j.source)
      .timestamptz(j.receivedAt.getTime())
      .int8(j.sequence)
      .int4(j.ordinal)
      .text(call.raw)
      .int8Array(c.eventRecords ? c.eventRecords.map((r) => r.id!) : null)
      .text(call.callId)
      .text(call.direction)
      .timestamptz(c.startedAtMs)
      .timestamptz(timeOf(call.answeredAt))
      .timestamptz(timeOf(call.endedAt))
      .int2(offsetOfIso(call.startedAt))
      .int4(call.ringSeconds)
      .int4(call.talkSeconds)
      .int4(call.holdSeconds)
      .int4(call.durationSeconds)
      .text(call.disposition)
      .text(call.callerNumber)
      .text(call.callerName)
      .text(call.dialedNumber)
      .text(call.calledNumber)
      .text(call.extension)
      .text(call.trunk)
      .text(call.accountCode)
      .text(call.transferredTo)
      .text(call.answeredBy)
      .int2(call.hangupCause)
      .jsonb(JSON.stringify(call.extra))
      .int8(r.costNanos)
      .text(r.costCurrency)
      .text(r.costPlan)
      .int8(r.priceNanos)
      .text(r.priceCurrency)
      .text(r.pricePlan)
      .text(r.destination)
      .text(r.person)
      .text(r.department)
      .text(r.costCentre)
      .text(r.listed);
  }
  return w.finish();
}

/** Rollup rows to add (sign 1) or take away (sign -1), aggregated so each key appears once. */
export interface RollupDelta {
  switchId: number;
  tenantId: string;
  hour: string;
  direction: string;
  disposition: string;
  calls: number;
  answered: number;
  talkSeconds: number;
  durationSeconds: number;
  /** Sums of the calls' cost and price in nano-units (unrated calls add nothing). */
  costNanos: number;
  priceNanos: number;
}

export interface RollupSource {
  switchId: number;
  tenantId: string;
  startedAtMs: number;
  direction: string;
  disposition: string;
  talkSeconds: number;
  durationSeconds: number;
  costNanos?: number | null;
  priceNanos?: number | null;
}

export function rollupDeltas(calls: Iterable<RollupSource>, sign: 1 | -1): RollupDelta[] {
  const byKey = new Map<string, RollupDelta>();
  for (const c of calls) {
    const hourMs = Math.floor(c.startedAtMs / HOUR) * HOUR;
    const key = `${c.switchId}|${hourMs}|${c.direction}|${c.disposition}`;
    let d = byKey.get(key);
    if (!d) {
      d = { switchId: c.switchId, tenantId: c.tenantId, hour: new Date(hourMs).toISOString(), direction: c.direction, disposition: c.disposition, calls: 0, answered: 0, talkSeconds: 0, durationSeconds: 0, costNanos: 0, priceNanos: 0 };
      byKey.set(key, d);
    }
    d.calls += sign;
    if (c.disposition === 'answered') d.answered += sign;
    d.talkSeconds += sign * c.talkSeconds;
    d.durationSeconds += sign * c.durationSeconds;
    if (c.costNanos) d.costNanos += sign * c.costNanos;
    if (c.priceNanos) d.priceNanos += sign * c.priceNanos;
  }
  return [...byKey.values()];
}

export async function applyRollups(tx: Tx, deltas: RollupDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await tx.query(
    `INSERT INTO call_rollups_hourly AS r (switch_id, tenant_id, hour, direction, disposition, calls, answered, talk_seconds, duration_seconds, cost_nanos, price_nanos)
     SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bigint[], $9::bigint[], $10::numeric[], $11::numeric[])
     ON CONFLICT (switch_id, hour, direction, disposition) DO UPDATE SET
       calls = r.calls + excluded.calls,
       answered = r.answered + excluded.answered,
       talk_seconds = r.talk_seconds + excluded.talk_seconds,
       duration_seconds = r.duration_seconds + excluded.duration_seconds,
       cost_nanos = r.cost_nanos + excluded.cost_nanos,
       price_nanos = r.price_nanos + excluded.price_nanos`,
    [
      deltas.map((d) => d.switchId),
      deltas.map((d) => d.tenantId),
      deltas.map((d) => d.hour),
      deltas.map((d) => d.direction),
      deltas.map((d) => d.disposition),
      deltas.map((d) => d.calls),
      deltas.map((d) => d.answered),
      deltas.map((d) => d.talkSeconds),
      deltas.map((d) => d.durationSeconds),
      deltas.map((d) => d.costNanos),
      deltas.map((d) => d.priceNanos),
    ],
  );
  const shrinking = deltas.filter((d) => d.calls < 0);
  if (shrinking.length > 0) {
    await tx.query('DELETE FROM call_rollups_hourly WHERE calls = 0 AND switch_id = ANY($1::int[]) AND hour = ANY($2::timestamptz[])', [
      [...new Set(shrinking.map((d) => d.switchId))],
      [...new Set(shrinking.map((d) => d.hour))],
    ]);
  }
}

/** Deletes the calls a condition picks (on calls' columns; params from $1) and takes them out of the rollups; returns how many. */
export async function deleteCalls(tx: Tx, where: string, params: unknown[]): Promise<number> {
  const removed = await tx.query<{
    switch_id: number;
    tenant_id: string;
    started_at: Date | string;
    direction: string;
    disposition: string;
    talk_seconds: number;
    duration_seconds: number;
    cost_nanos: string | null;
    price_nanos: string | null;
  }>(
    `DELETE FROM calls WHERE ${where}
     RETURNING switch_id, tenant_id, started_at, direction, disposition, talk_seconds, duration_seconds,
               cost_nanos::text AS cost_nanos, price_nanos::text AS price_nanos`,
    params,
  );
  const sources = removed.map((r) => ({
    switchId: r.switch_id,
    tenantId: r.tenant_id,
    startedAtMs: new Date(r.started_at).getTime(),
    direction: r.direction,
    disposition: r.disposition,
    talkSeconds: r.talk_seconds,
    durationSeconds: r.duration_seconds,
    costNanos: r.cost_nanos === null ? null : Number(r.cost_nanos),
    priceNanos: r.price_nanos === null ? null : Number(r.price_nanos),
  }));
  await applyRollups(tx, rollupDeltas(sources, -1));
  return removed.length;
}

function toRollupSource(c: CallToStore): RollupSource {
  return {
    switchId: c.switchId,
    tenantId: c.tenantId,
    startedAtMs: c.startedAtMs,
    direction: c.call.direction,
    disposition: c.call.disposition,
    talkSeconds: c.call.talkSeconds,
    durationSeconds: c.call.durationSeconds,
    costNanos: c.rating?.costNanos ?? null,
    priceNanos: c.rating?.priceNanos ?? null,
  };
}

async function storeEvents(tx: Tx, events: EventToStore[], alreadyStored: Set<number> | null): Promise<void> {
  let text = '';
  for (const ev of events) {
    if (alreadyStored?.has(ev.record.id!)) continue; // its record, and so the event, is stored already
    text += copyRow([ev.switchId, ev.record.id, ev.event.callRef, ev.event.event, ev.event.occurredAt, JSON.stringify(ev.event.data)]);
  }
  if (text) await tx.copyFrom('call_events', EVENT_COLUMNS, text);
}

/**
 * Journals the batch's records that are not a call's own in raw_records. A record stored before
 * (same id, or same switch, collector, source and sequence: handed again after a crash or a lost
 * answer) is left as it is; returns the ids of those, or null when every record was new.
 */
async function storeRawRecords(tx: Tx, entries: JournalEntry[]): Promise<Set<number> | null> {
  let text = '';
  let lastDate: Date | null = null;
  let lastIso = '';
  const ids: number[] = [];
  for (const e of entries) {
    if (!inRawRecords(e)) continue;
    if (e.receivedAt !== lastDate) {
      lastDate = e.receivedAt;
      lastIso = lastDate.toISOString();
    }
    ids.push(e.id!);
    text += copyRow([e.id, e.switchId, e.source, e.collectorId, lastIso, e.sequence, e.ordinal, e.raw, e.status, e.error]);
  }
  if (!text) return null;
  // As with calls: COPY straight in, and only when a record is there already, the slow way.
  await tx.query('SAVEPOINT raw_copy');
  try {
    await tx.copyFrom('raw_records', RAW_COLUMNS, text);
    await tx.query('RELEASE SAVEPOINT raw_copy');
    return null;
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT raw_copy');
  }
  await tx.query('CREATE TEMP TABLE IF NOT EXISTS raw_staging (LIKE raw_records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS');
  await tx.copyFrom('raw_staging', RAW_COLUMNS, text);
  const fresh = await tx.query<{ id: string }>(`INSERT INTO raw_records SELECT * FROM raw_staging ON CONFLICT DO NOTHING RETURNING id::text AS id`);
  await tx.query('TRUNCATE raw_staging');
  const freshIds = new Set(fresh.map((r) => Number(r.id)));
  return new Set(ids.filter((id) => !freshIds.has(id)));
}

/**
 * Inserts the calls (or legs) not stored yet, in the caller's transaction; returns those. The batch
 * is COPYed straight in (the fast path: imports and live streams bring new calls); when a key is
 * already stored the COPY fails on the unique key, and the batch goes through a staging table with
 * INSERT … ON CONFLICT DO NOTHING instead, which tells which calls were new.
 */
export async function insertNew(tx: Tx, table: 'calls' | 'call_legs', calls: CallToStore[]): Promise<CallToStore[]> {
  if (calls.length === 0) return [];
  const seen = new Set<string>();
  const unique: CallToStore[] = [];
  for (const c of calls) {
    if (seen.has(c.key)) continue; // a second copy within the batch is a duplicate too
    seen.add(c.key);
    unique.push(c);
  }
  const data = encodeCalls(unique);
  await tx.query(`SAVEPOINT ${table}_copy`);
  try {
    await tx.copyFrom(table, CALL_COLUMNS, data);
    await tx.query(`RELEASE SAVEPOINT ${table}_copy`);
    return unique;
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await tx.query(`ROLLBACK TO SAVEPOINT ${table}_copy`);
  }
  await tx.query(`CREATE TEMP TABLE IF NOT EXISTS ${table}_staging (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
  await tx.copyFrom(`${table}_staging`, CALL_COLUMNS, data);
  const fresh = await tx.query<{ id: string }>(`INSERT INTO ${table} SELECT * FROM ${table}_staging ON CONFLICT (id) DO NOTHING RETURNING id::text AS id`);
  await tx.query(`TRUNCATE ${table}_staging`);
  const freshKeys = new Set(fresh.map((r) => r.id));
  return unique.filter((c) => freshKeys.has(c.key));
}

/** Stores calls with insertNew and keeps the hourly rollups in step. */
export async function storeCalls(tx: Tx, calls: CallToStore[]): Promise<CallToStore[]> {
  const inserted = await insertNew(tx, 'calls', calls);
  await applyRollups(tx, rollupDeltas(inserted.map(toRollupSource), 1));
  return inserted;
}

/**
 * Writes a batch in the caller's transaction: journal rows, events, calls, legs and the calls they
 * join into, rollups, receipts. `relink`: legs already stored whose call was taken apart (reprocess).
 */
export async function writeBatchIn(tx: Tx, batch: Batch, relink: CallToStore[] = []): Promise<BatchResult> {
  const alreadyStored = await storeRawRecords(tx, batch.entries);
  await storeEvents(tx, batch.events, alreadyStored);
  const calls = batch.calls.filter((c) => !c.leg);
  const legs = calls.length === batch.calls.length ? [] : batch.calls.filter((c) => c.leg);
  const insertedCalls = await storeCalls(tx, calls);
  const insertedLegs = await insertNew(tx, 'call_legs', legs);
  const joined = await joinLegs(tx, [...relink, ...insertedLegs]);
  const result: BatchResult = {
    inserted: legs.length === 0 ? insertedCalls : [...insertedCalls, ...insertedLegs],
    duplicates: batch.calls.length - insertedCalls.length - insertedLegs.length,
    joined,
  };
  if (batch.collectorId && batch.calls.length > 0) {
    await tx.query(
      `INSERT INTO receipts (call_id, collector_id, first_seen_at)
       SELECT DISTINCT unnest($1::uuid[]), $2, now() ON CONFLICT DO NOTHING`,
      [batch.calls.map((c) => c.key), batch.collectorId],
    );
  }
  return result;
}

export class CallsRepository {
  private readonly ids: JournalIdAllocator;

  constructor(private readonly database: Database) {
    this.ids = new JournalIdAllocator(database);
  }

  /** Gives raw_records ids to the batch's entries that are journaled there. */
  async assignJournalIds(batch: Batch): Promise<void> {
    const unassigned = batch.entries.filter((e) => e.id === null && inRawRecords(e));
    const ids = await this.ids.take(unassigned.length);
    unassigned.forEach((e, i) => (e.id = ids[i]!));
  }

  /** Journals the batch's records and stores its calls, events and receipts in one transaction. */
  async writeBatch(batch: Batch): Promise<BatchResult> {
    await this.assignJournalIds(batch);
    return this.database.transaction((tx) => writeBatchIn(tx, batch));
  }

  private filtered(scope: TenantScope, filter: CallFilter) {
    let q = this.database.db.selectFrom('calls as c').innerJoin('switches as s', 's.id', 'c.switch_id');
    if (scope.kind === 'tenant') q = q.where('c.tenant_id', '=', scope.tenantId);
    if (filter.from) q = q.where('c.started_at', '>=', filter.from);
    if (filter.to) q = q.where('c.started_at', '<', filter.to);
    if (filter.switchName) q = q.where('s.name', '=', filter.switchName);
    return q;
  }

  /** Calls in start order (or newest first), one page at a time (keyset pagination, so export streams any size). */
  async page(scope: TenantScope, filter: CallFilter, after: PageCursor | null, limit: number, order: 'asc' | 'desc' = 'asc'): Promise<StoredCall[]> {
    let q = this.filtered(scope, filter)
      .selectAll('c')
      .select(['s.name as switch_name', 's.timezone as switch_timezone', 's.format as format'])
      .orderBy('c.started_at', order)
      .orderBy('c.id', order)
      .limit(limit);
    if (after) {
      const at = after.startedAt;
      const beyond = order === 'asc' ? '>' : '<';
      q = q.where((eb) => eb.or([eb('c.started_at', beyond, at), eb.and([eb('c.started_at', '=', at), eb('c.id', beyond, after.id)])]));
    }
    return (await q.execute()).map(storedCallFromRow);
  }

  /** The legs a call was joined from (multi-leg formats), in the order they were read; none for other calls. */
  async legs(scope: TenantScope, callId: string): Promise<StoredCall[]> {
    let q = this.database.db
      .selectFrom('call_legs as c')
      .innerJoin('switches as s', 's.id', 'c.switch_id')
      .selectAll('c')
      .select(['s.name as switch_name', 's.timezone as switch_timezone', 's.format as format'])
      .where('c.logical_call_id', '=', callId)
      .orderBy('c.received_at')
      .orderBy('c.sequence');
    if (scope.kind === 'tenant') q = q.where('c.tenant_id', '=', scope.tenantId);
    return (await q.execute()).map(storedCallFromRow);
  }

  async count(scope: TenantScope, filter: CallFilter = {}): Promise<number> {
    const row = await this.filtered(scope, filter)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

export type CallRow = Selectable<CallsTable> & { switch_name: string; switch_timezone: string; format: string };

export function storedCallFromRow(r: CallRow): StoredCall {
  return {
    id: r.id,
    switchName: r.switch_name,
    tenantId: r.tenant_id,
    startedAt: r.started_at,
    call: {
      format: r.format,
      callId: r.call_id,
      direction: r.direction as Call['direction'],
      startedAt: toIso(r.started_at.getTime(), r.utc_offset),
      answeredAt: r.answered_at ? isoInZone(r.answered_at.getTime(), r.switch_timezone) : null,
      endedAt: r.ended_at ? isoInZone(r.ended_at.getTime(), r.switch_timezone) : null,
      ringSeconds: r.ring_seconds,
      talkSeconds: r.talk_seconds,
      holdSeconds: r.hold_seconds,
      durationSeconds: r.duration_seconds,
      disposition: r.disposition as Call['disposition'],
      callerNumber: r.caller_number,
      callerName: r.caller_name,
      dialedNumber: r.dialed_number,
      calledNumber: r.called_number,
      extension: r.extension,
      trunk: r.trunk,
      accountCode: r.account_code,
      transferredTo: r.transferred_to,
      answeredBy: r.answered_by,
      hangupCause: r.hangup_cause,
      extra: r.extra as Call['extra'],
      raw: r.raw,
    },
  };
}

export interface CallFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  switchName?: string | undefined;
}

export interface PageCursor {
  startedAt: Date;
  id: string;
}

export interface StoredCall {
  id: string;
  switchName: string;
  tenantId: string;
  startedAt: Date;
  call: Call;
}
