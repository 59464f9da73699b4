import { CalltrailError } from '../../core/errors.js';
import type { SqlPullSourceConfig } from './config.js';
import type { SqlEngine } from './engines.js';
import { PRESETS, type SqlPreset } from './presets.js';

// The SELECT a source runs, built once per connection from its mapping and checked against the
// table's real columns first, so that a missing column is one clear error listing every one.

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const COLUMN_REF = /\{c:([A-Za-z_][A-Za-z0-9_$]*)\}/g;
const SQLITE_ROWID = new Set(['rowid', 'oid', '_rowid_']);

/** Where a table's rows are, and how they map: the config merged over its preset. */
export interface SourceLayout {
  table: string;
  key: string;
  tieKey: string | null;
  where: string | null;
  flagColumn: string | null;
  /** See the config's lookback; 0 when off. */
  lookback: number;
  /** Our field → column name or expression, in order. */
  mapping: [string, string][];
}

export function sourceLayout(config: SqlPullSourceConfig): SourceLayout {
  const preset: SqlPreset | null = config.preset ? PRESETS[config.preset] : null;
  const merged = new Map<string, string>(Object.entries(preset?.mapping ?? {}));
  for (const [field, expr] of Object.entries(config.mapping ?? {})) {
    if (expr.trim() === '') merged.delete(field);
    else merged.set(field, expr);
  }
  const key = config.key ?? preset!.key;
  return {
    table: config.table ?? preset!.table,
    key,
    // A key given in the config replaces the preset's ordering, tie column included.
    tieKey: config.tieKey ?? (config.key ? null : (preset?.tieKey ?? null)),
    where: config.where ?? preset?.where ?? null,
    flagColumn: config.flagColumn ?? null,
    lookback: config.flagColumn ? 0 : (config.lookback ?? (config.key ? 0 : (preset?.lookback ?? 0))),
    mapping: [...merged],
  };
}

export interface PullPlan {
  /** The quoted table. */
  from: string;
  tableName: string;
  fields: string[];
  select: string;
  keyExpr: string;
  tieExpr: string | null;
  whereExpr: string | null;
  flagExpr: string | null;
}

/** Checks every column the layout names and builds the SELECT list. Throws CONFIG_INVALID naming each missing column. */
export async function buildPlan(engine: SqlEngine, layout: SourceLayout): Promise<PullPlan> {
  const found = await engine.columns(layout.table);
  if (!found) throw new CalltrailError('CONFIG_INVALID', `table "${layout.table}" does not exist in ${engine.location}`);
  const byLower = new Map<string, string[]>();
  for (const c of found.columns) byLower.set(c.toLowerCase(), [...(byLower.get(c.toLowerCase()) ?? []), c]);
  const missing: string[] = [];
  const resolve = (name: string, usedFor: string): string => {
    if (found.columns.includes(name)) return engine.quoteIdent(name);
    const candidates = byLower.get(name.toLowerCase());
    if (candidates?.length === 1) return engine.quoteIdent(candidates[0]!);
    if (engine.kind === 'sqlite' && SQLITE_ROWID.has(name.toLowerCase())) return name.toLowerCase();
    missing.push(`"${name}" (${usedFor})`);
    return engine.quoteIdent(name);
  };
  const from = found.table.split('.').map((p) => engine.quoteIdent(p)).join('.');
  const expand = (expr: string, usedFor: string): string => {
    if (COLUMN_NAME.test(expr)) return resolve(expr, usedFor);
    return expr.replace(COLUMN_REF, (_, name: string) => resolve(name, usedFor)).replace(/\{table\}/g, from);
  };
  const fields: string[] = [];
  const list: string[] = [];
  for (const [field, expr] of layout.mapping) {
    fields.push(field);
    list.push(`${expand(expr, `mapped to ${field}`)} AS ${engine.quoteIdent(field)}`);
  }
  const keyExpr = resolve(layout.key, 'the key');
  const tieExpr = layout.tieKey ? resolve(layout.tieKey, 'the tie key') : null;
  const whereExpr = layout.where ? `(${expand(layout.where, 'in where')})` : null;
  let flagExpr: string | null = null;
  if (layout.flagColumn) {
    const before = missing.length;
    flagExpr = resolve(layout.flagColumn, 'the flag column');
    if (missing.length > before) {
      missing.pop();
      missing.push(
        `"${layout.flagColumn}" (the flag column: Calltrail never alters the switch's table; add it yourself, ` +
          `e.g. ALTER TABLE ${layout.table} ADD COLUMN ${layout.flagColumn} INTEGER NOT NULL DEFAULT 0, or leave flagColumn out)`,
      );
    }
  }
  if (missing.length > 0) {
    throw new CalltrailError(
      'CONFIG_INVALID',
      `table "${layout.table}" in ${engine.location} has no column ${missing.join(', ')}; its columns are: ${found.columns.join(', ')}`,
      { missing },
    );
  }
  list.push(`${keyExpr} AS ${engine.quoteIdent('_key')}`);
  if (tieExpr) list.push(`${tieExpr} AS ${engine.quoteIdent('_tie')}`);
  return { from, tableName: found.table, fields, select: list.join(', '), keyExpr, tieExpr, whereExpr, flagExpr };
}

export interface HighWater {
  key: unknown;
  tie: unknown;
}

/** The next batch after the high-water mark (or the unflagged rows, in flag mode). */
export function batchQuery(engine: SqlEngine, plan: PullPlan, after: HighWater | null, limit: number): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown): string => {
    params.push(value);
    return engine.placeholder(params.length);
  };
  if (plan.whereExpr) conditions.push(plan.whereExpr);
  if (plan.flagExpr) conditions.push(`${plan.flagExpr} = 0`);
  else if (after) {
    // Written so that every engine reads an index on (key, tie) as a range from the mark, in order.
    if (plan.tieExpr) conditions.push(`${plan.keyExpr} >= ${p(after.key)} AND (${plan.keyExpr} > ${p(after.key)} OR ${plan.tieExpr} > ${p(after.tie)})`);
    else conditions.push(`${plan.keyExpr} > ${p(after.key)}`);
  }
  const order = plan.tieExpr ? `${plan.keyExpr}, ${plan.tieExpr}` : plan.keyExpr;
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT ${plan.select} FROM ${plan.from}${where} ORDER BY ${order} LIMIT ${Math.floor(limit)}`, params };
}

/** Rows at or below the mark and at or above `lower`: where late rows are looked for. */
export function windowQuery(engine: SqlEngine, plan: PullPlan, mark: HighWater, lower: unknown): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown): string => {
    params.push(value);
    return engine.placeholder(params.length);
  };
  const k = plan.keyExpr;
  const atOrAbove = `${k} >= ${p(lower)}`;
  const atOrBelow = plan.tieExpr ? `(${k} < ${p(mark.key)} OR (${k} = ${p(mark.key)} AND ${plan.tieExpr} <= ${p(mark.tie)}))` : `${k} <= ${p(mark.key)}`;
  const conditions = [...(plan.whereExpr ? [plan.whereExpr] : []), atOrAbove, atOrBelow];
  const order = plan.tieExpr ? `${k}, ${plan.tieExpr}` : k;
  return { sql: `SELECT ${plan.select} FROM ${plan.from} WHERE ${conditions.join(' AND ')} ORDER BY ${order}`, params };
}

const STAMP_KEY = /^(\d{4})-(\d{2})-(\d{2})([ T])(\d{2}):(\d{2}):(\d{2})(.*)$/;
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The key `lookback` below `key`: ids for a numeric key, seconds for a date/time text (kept in the
 * engine's own shape, offset included). Null for a key that is neither.
 */
export function keyMinus(key: unknown, lookback: number): unknown {
  if (typeof key === 'number') return key - lookback;
  if (typeof key !== 'string') return null;
  if (/^\d+$/.test(key)) {
    const n = BigInt(key) - BigInt(Math.floor(lookback));
    return (n < 0n ? 0n : n).toString();
  }
  const m = STAMP_KEY.exec(key);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[5]!, +m[6]!, +m[7]!) - lookback * 1000);
  const date = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  return `${date}${m[4]}${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${m[8]}`;
}

/** Orders two values of one key column as the engine would (numbers, digit strings, same-shaped date texts). */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  if (/^\d+$/.test(x) && /^\d+$/.test(y) && x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
