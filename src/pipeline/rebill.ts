import type { Call } from '../core/call.js';
import { logger } from '../core/log.js';
import { toIso } from '../core/time.js';
import { applyRollups, type CallRating, type RollupDelta } from '../store/calls-repository.js';
import type { Database, Tx } from '../store/database.js';
import { PRICING_EXTRA_KEYS, type Pricing } from './pricing.js';

// Re-rates stored calls with the plans, directory and lists in the store now (after a plan
// changes), and moves the hourly rollups' cost and price sums by the same amounts, in one
// transaction per chunk. Calls are read in start order with a keyset, under FOR UPDATE, so that a
// chunk's rollup change is computed from the values it replaces.

const log = logger('rebill');
const CHUNK = 5000;
const HOUR = 3600 * 1000;

export interface RebillFilter {
  from: Date;
  to: Date;
  switchName?: string | undefined;
}

export interface RebillResult {
  calls: number;
  /** Calls whose cost (buy side) changed. */
  costChanged: number;
  /** Calls whose price (sell side) changed. */
  priceChanged: number;
  /** Calls whose cost or price (or either's currency) changed. */
  moneyChanged: number;
  /** Calls whose row was rewritten (any rating field or annotation changed). */
  updated: number;
}

interface Row {
  id: string;
  tenant_id: string;
  switch_id: number;
  started_at: Date | string;
  utc_offset: number;
  direction: string;
  disposition: string;
  talk_seconds: number;
  duration_seconds: number;
  called_number: string | null;
  caller_number: string | null;
  dialed_number: string | null;
  extension: string | null;
  trunk: string | null;
  extra: Record<string, string | number | boolean | null>;
  cost_nanos: string | null;
  cost_currency: string | null;
  cost_plan: string | null;
  price_nanos: string | null;
  price_currency: string | null;
  price_plan: string | null;
  destination: string | null;
  person: string | null;
  department: string | null;
  cost_centre: string | null;
  listed: string | null;
}

const SELECT = `SELECT c.id::text AS id, c.tenant_id, c.switch_id, c.started_at, c.utc_offset, c.direction, c.disposition, c.talk_seconds,
  c.duration_seconds, c.called_number, c.caller_number, c.dialed_number, c.extension, c.trunk, c.extra, c.cost_nanos::text AS cost_nanos,
  c.cost_currency, c.cost_plan, c.price_nanos::text AS price_nanos, c.price_currency, c.price_plan, c.destination, c.person, c.department,
  c.cost_centre, c.listed
  FROM calls c`;

function num(text: string | null): number | null {
  return text === null ? null : Number(text);
}

/** The call as pricing reads it, its earlier pricing taken away. */
function callOf(r: Row, startedMs: number): Call {
  const extra = { ...r.extra };
  for (const key of PRICING_EXTRA_KEYS) delete extra[key];
  return {
    format: '',
    callId: null,
    direction: r.direction as Call['direction'],
    startedAt: toIso(startedMs, r.utc_offset),
    answeredAt: null,
    endedAt: null,
    ringSeconds: null,
    talkSeconds: r.talk_seconds,
    holdSeconds: null,
    durationSeconds: r.duration_seconds,
    disposition: r.disposition as Call['disposition'],
    callerNumber: r.caller_number,
    callerName: null,
    dialedNumber: r.dialed_number,
    calledNumber: r.called_number,
    extension: r.extension,
    trunk: r.trunk,
    accountCode: null,
    transferredTo: null,
    answeredBy: null,
    hangupCause: null,
    extra,
    raw: '',
  };
}

function sameRating(r: Row, n: CallRating): boolean {
  return (
    num(r.cost_nanos) === n.costNanos &&
    r.cost_currency === n.costCurrency &&
    r.cost_plan === n.costPlan &&
    num(r.price_nanos) === n.priceNanos &&
    r.price_currency === n.priceCurrency &&
    r.price_plan === n.pricePlan &&
    r.destination === n.destination &&
    r.person === n.person &&
    r.department === n.department &&
    r.cost_centre === n.costCentre &&
    r.listed === n.listed
  );
}

function sameExtra(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k] === b[k]);
}

async function rebillChunk(tx: Tx, pricing: Pricing, filter: RebillFilter, after: { startedAt: string; id: string } | null, result: RebillResult) {
  const params: unknown[] = [filter.from, filter.to];
  let where = 'c.started_at >= $1 AND c.started_at < $2';
  if (filter.switchName !== undefined) {
    params.push(filter.switchName);
    where += ` AND c.switch_id = (SELECT id FROM switches WHERE name = $${params.length})`;
  }
  if (after) {
    params.push(after.startedAt, after.id);
    where += ` AND (c.started_at, c.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const rows = await tx.query<Row>(`${SELECT} WHERE ${where} ORDER BY c.started_at, c.id LIMIT ${CHUNK} FOR UPDATE OF c`, params);
  const changed: { row: Row; rating: CallRating; extra: string }[] = [];
  const deltas = new Map<string, RollupDelta>();
  for (const row of rows) {
    const startedMs = new Date(row.started_at).getTime();
    const call = callOf(row, startedMs);
    const rating = pricing.price(call, row.tenant_id, startedMs);
    result.calls++;
    const oldCost = num(row.cost_nanos);
    const oldPrice = num(row.price_nanos);
    const costChanged = oldCost !== rating.costNanos || row.cost_currency !== rating.costCurrency;
    const priceChanged = oldPrice !== rating.priceNanos || row.price_currency !== rating.priceCurrency;
    if (costChanged) result.costChanged++;
    if (priceChanged) result.priceChanged++;
    if (costChanged || priceChanged) result.moneyChanged++;
    if (sameRating(row, rating) && sameExtra(row.extra, call.extra)) continue;
    changed.push({ row, rating, extra: JSON.stringify(call.extra) });
    const costDelta = (rating.costNanos ?? 0) - (oldCost ?? 0);
    const priceDelta = (rating.priceNanos ?? 0) - (oldPrice ?? 0);
    if (costDelta === 0 && priceDelta === 0) continue;
    const hourMs = Math.floor(startedMs / HOUR) * HOUR;
    const key = `${row.switch_id}|${hourMs}|${row.direction}|${row.disposition}`;
    let d = deltas.get(key);
    if (!d) {
      d = { switchId: row.switch_id, tenantId: row.tenant_id, hour: new Date(hourMs).toISOString(), direction: row.direction, disposition: row.disposition, calls: 0, answered: 0, talkSeconds: 0, durationSeconds: 0, costNanos: 0, priceNanos: 0 };
      deltas.set(key, d);
    }
    d.costNanos += costDelta;
    d.priceNanos += priceDelta;
  }
  if (changed.length > 0) {
    const col = <T>(f: (c: (typeof changed)[number]) => T): T[] => changed.map(f);
    await tx.query(
      `UPDATE calls AS c SET cost_nanos = u.cost_nanos, cost_currency = u.cost_currency, cost_plan = u.cost_plan,
         price_nanos = u.price_nanos, price_currency = u.price_currency, price_plan = u.price_plan, destination = u.destination,
         person = u.person, department = u.department, cost_centre = u.cost_centre, listed = u.listed, extra = u.extra::jsonb
       FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::text[], $12::text[], $13::text[])
         AS u(id, cost_nanos, cost_currency, cost_plan, price_nanos, price_currency, price_plan, destination, person, department, cost_centre, listed, extra)
       WHERE c.id = u.id`,
      [
        col((c) => c.row.id),
        col((c) => c.rating.costNanos),
        col((c) => c.rating.costCurrency),
        col((c) => c.rating.costPlan),
        col((c) => c.rating.priceNanos),
        col((c) => c.rating.priceCurrency),
        col((c) => c.rating.pricePlan),
        col((c) => c.rating.destination),
        col((c) => c.rating.person),
        col((c) => c.rating.department),
        col((c) => c.rating.costCentre),
        col((c) => c.rating.listed),
        col((c) => c.extra),
      ],
    );
    result.updated += changed.length;
  }
  await applyRollups(tx, [...deltas.values()]);
  const last = rows.at(-1);
  return { count: rows.length, last: last ? { startedAt: new Date(last.started_at).toISOString(), id: last.id } : null };
}

/** Re-rates the calls that started in [from, to) (of one switch, if named) and keeps the rollups in step. */
export async function rebill(database: Database, pricing: Pricing, filter: RebillFilter): Promise<RebillResult> {
  const result: RebillResult = { calls: 0, costChanged: 0, priceChanged: 0, moneyChanged: 0, updated: 0 };
  let after: { startedAt: string; id: string } | null = null;
  for (;;) {
    const chunk: { count: number; last: { startedAt: string; id: string } | null } = await database.transaction((tx) => rebillChunk(tx, pricing, filter, after, result));
    if (chunk.count < CHUNK || !chunk.last) break;
    after = chunk.last;
  }
  log.info({ ...filter, ...result }, 'rebilled');
  return result;
}
