import { join } from 'node:path';
import type { Logger } from 'pino';
import { CalltrailError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { Backoff, errorText, pause, type BackoffOptions } from '../../transports/transport.js';
import { sqlPullSourceSchema, type SqlPullSourceConfig } from './config.js';
import { openEngine, withoutPassword, type Row, type SqlEngine } from './engines.js';
import { batchQuery, buildPlan, compareKeys, keyMinus, sourceLayout, windowQuery, type HighWater, type PullPlan, type SourceLayout } from './plan.js';
import { loadState, saveState, stateFileName, type PullState } from './state.js';
import type { z } from 'zod';

// The SQL pull source: reads new rows from a switch's CDR table and hands each to the sink as one
// record (the row as JSON, our field names as keys, for the sql-row format). Progress is a
// high-water mark kept on our side — (key, tie) of the last row acknowledged — advanced only once
// the sink has taken the whole batch (its promises settled and `flush` resolved). A crash between
// the two re-reads the unacknowledged rows: every row arrives at least once, and the store's dedupe
// key makes that once.

/** The sink threw or rejected: the batch is not acknowledged and is read again. */
class SinkRefused extends Error {
  constructor(cause: unknown) {
    super('the sink did not take the record', { cause });
  }
}

export interface SqlPullRecord {
  /** The row as JSON: mapped fields in mapping order, then `_key` (and `_tie`). Values as the engine returned them. */
  text: string;
  /** The row's position in its table: the key value, and `|tie` when the ordering has a tie column. */
  key: string;
}

/** Takes one record; a returned promise is backpressure, and a rejection means "not taken": the batch is read again. */
export type SqlPullSink = (record: SqlPullRecord) => Promise<void> | undefined;

export interface SqlPullContext {
  /** Where the high-water mark file lives (the data directory). */
  stateDir: string;
  signal?: AbortSignal;
  /** Called after a batch was handed over and before the mark advances: resolve once every record is durable. */
  flush?: () => Promise<void>;
  log?: Logger;
  backoff?: BackoffOptions;
  /** How often, at the end of the table, the lookback window is searched for late rows. Default 30 s. */
  lookbackEveryMs?: number;
}

export interface SqlPullStatus {
  connected: boolean;
  /** Records handed to the sink in this run. */
  rows: number;
  batches: number;
  /** The last batch came back smaller than batchSize: the table was read to its end. */
  caughtUp: boolean;
  /** Polls that reached the end of the table. */
  idlePolls: number;
  highWater: HighWater | null;
  /** Times the table was found rotated (replaced by a new one whose keys restart lower). */
  rotations: number;
  /** Outages: times the source went from working to failing. */
  outages: number;
  /** Rows found below the mark, within the lookback, after later rows had been taken. */
  lateRows: number;
  lastRowAt: string | null;
  lastError: string | null;
}

export interface SqlPull {
  status(): SqlPullStatus;
  stop(): Promise<void>;
}

export type SqlPullOptions = z.input<typeof sqlPullSourceSchema>;

/** A name for the source in logs and in its state file. */
export function sourceId(config: SqlPullSourceConfig, layout: SourceLayout): string {
  return config.name ?? `${config.engine}-${layout.table}-${config.path ?? withoutPassword(config.url ?? '')}`;
}

function keyText(row: Row, tie: boolean): string {
  return tie ? `${String(row._key)}|${String(row._tie)}` : String(row._key);
}

/** `"field":` for each field, written once per plan: the JSON of a row is then joined from its values. */
const prefixes = new WeakMap<PullPlan, string[]>();

function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return JSON.stringify(v);
}

/** The row as JSON: exactly JSON.stringify of { ...fields, _key[, _tie] }, without building that object. */
function recordOf(row: Row, plan: PullPlan): SqlPullRecord {
  let names = prefixes.get(plan);
  if (!names) {
    names = [...plan.fields, '_key', ...(plan.tieExpr ? ['_tie'] : [])].map((f, i) => (i === 0 ? '{' : ',') + JSON.stringify(f) + ':');
    prefixes.set(plan, names);
  }
  const last = plan.fields.length;
  let text = '';
  for (let i = 0; i < last; i++) text += names[i]! + jsonValue(row[plan.fields[i]!]);
  text += names[last]! + jsonValue(row._key);
  if (plan.tieExpr) text += names[last + 1]! + jsonValue(row._tie);
  return { text: text + '}', key: keyText(row, plan.tieExpr !== null) };
}

export function startSqlPull(options: SqlPullOptions, sink: SqlPullSink, ctx: SqlPullContext): SqlPull {
  const parsed = sqlPullSourceSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(source)'}: ${i.message}`);
    throw new CalltrailError('CONFIG_INVALID', `sql source: ${problems.join('; ')}`, { problems });
  }
  const config = parsed.data;
  const layout = sourceLayout(config);
  const id = sourceId(config, layout);
  const log = (ctx.log ?? logger('sql-pull')).child({ source: config.name ?? `${config.engine}:${layout.table}` });
  const statePath = join(ctx.stateDir, stateFileName(id));
  const stateSource: PullState['source'] = {
    engine: config.engine,
    location: config.path ?? withoutPassword(config.url ?? ''),
    table: layout.table,
    key: layout.key,
    tieKey: layout.tieKey,
  };
  const status: SqlPullStatus = {
    connected: false,
    rows: 0,
    batches: 0,
    caughtUp: false,
    idlePolls: 0,
    highWater: null,
    rotations: 0,
    outages: 0,
    lateRows: 0,
    lastRowAt: null,
    lastError: null,
  };
  const stopping = new AbortController();
  const onAbort = (): void => stopping.abort();
  ctx.signal?.addEventListener('abort', onAbort);
  if (ctx.signal?.aborted) stopping.abort();
  const signal = stopping.signal;
  const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000, ...ctx.backoff });
  const pollMs = config.pollSeconds * 1000;

  let engine: SqlEngine | null = null;
  let plan: PullPlan | null = null;
  let state: PullState | null = null;
  let failingSince: number | null = null;
  let lastLogged = '';
  /** The rows taken within the lookback below the mark, by keyText. */
  const recent = new Map<string, [unknown, unknown]>();
  let lastWindowScan = 0;
  let lookbackWarned = false;
  const lookbackEveryMs = ctx.lookbackEveryMs ?? 30_000;

  const save = async (): Promise<void> => {
    state!.updatedAt = new Date().toISOString();
    await saveState(statePath, state!);
  };

  const connect = async (): Promise<void> => {
    if (!state) {
      const loaded = await loadState(statePath);
      if (loaded && JSON.stringify(loaded.source) !== JSON.stringify(stateSource)) {
        log.warn({ was: loaded.source, now: stateSource }, 'the table or its ordering changed since the last run: reading from the start');
      }
      state =
        loaded && JSON.stringify(loaded.source) === JSON.stringify(stateSource)
          ? loaded
          : { version: 1, source: stateSource, highWater: null, rows: 0, updatedAt: new Date().toISOString() };
      status.highWater = state.highWater;
      recent.clear();
      for (const [k, t] of state.recent ?? []) recent.set(keyText({ _key: k, _tie: t }, layout.tieKey !== null), [k, t]);
    }
    engine = await openEngine({ engine: config.engine, url: config.url, path: config.path, write: layout.flagColumn !== null });
    plan = await buildPlan(engine, layout);
    status.connected = true;
  };

  const disconnect = async (): Promise<void> => {
    status.connected = false;
    const e = engine;
    engine = null;
    plan = null;
    await e?.close().catch(() => undefined);
  };

  const deliver = async (rows: Row[]): Promise<void> => {
    for (const row of rows) {
      try {
        const wait = sink(recordOf(row, plan!));
        if (wait) await wait;
      } catch (err) {
        throw new SinkRefused(err);
      }
      status.rows++;
    }
  };

  /** Remembers the rows within the lookback below the mark (kept in the state file with it). */
  const remember = (rows: Row[]): void => {
    if (layout.lookback <= 0) return;
    const tie = plan!.tieExpr !== null;
    for (const row of rows) recent.set(keyText(row, tie), [row._key ?? null, tie ? (row._tie ?? null) : null]);
    const lower = state!.highWater ? keyMinus(state!.highWater.key, layout.lookback) : null;
    if (lower === null) {
      recent.clear();
      if (!lookbackWarned && state!.highWater) {
        lookbackWarned = true;
        log.warn({ key: layout.key }, 'lookback needs a numeric or date/time key: late rows below the mark are not looked for');
      }
    } else {
      for (const [text, [k]] of recent) if (compareKeys(k, lower) < 0) recent.delete(text);
    }
    state!.recent = [...recent.values()];
  };

  /** Hands one batch over; true when the table has more rows right now. */
  const pullBatch = async (): Promise<boolean> => {
    const { sql, params } = batchQuery(engine!, plan!, state!.highWater, config.batchSize);
    const rows = await engine!.query(sql, params);
    await deliver(rows);
    if (rows.length === 0) return false;
    await ctx.flush?.();
    if (plan!.flagExpr) await markImported(rows);
    const last = rows[rows.length - 1]!;
    state!.highWater = { key: last._key ?? null, tie: plan!.tieExpr ? (last._tie ?? null) : null };
    state!.rows += rows.length;
    remember(rows);
    await save();
    status.highWater = state!.highWater;
    status.batches++;
    status.lastRowAt = new Date().toISOString();
    return rows.length >= config.batchSize;
  };

  const markImported = async (rows: Row[]): Promise<void> => {
    const p = plan!;
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const params: unknown[] = [];
      const ph = (v: unknown): string => {
        params.push(v);
        return engine!.placeholder(params.length);
      };
      const match = p.tieExpr
        ? chunk.map((r) => `(${p.keyExpr} = ${ph(r._key)} AND ${p.tieExpr} = ${ph(r._tie)})`).join(' OR ')
        : `${p.keyExpr} IN (${chunk.map((r) => ph(r._key)).join(', ')})`;
      await engine!.query(`UPDATE ${p.from} SET ${p.flagExpr} = 1 WHERE ${match}`, params);
    }
  };

  /**
   * At the end of the table: was it replaced by one whose keys restart lower? The row at the mark
   * is gone and rows below the mark exist. (Rows deleted after we took them only remove the mark's
   * row: the table then holds nothing below it, and reading continues.)
   */
  const checkRotation = async (): Promise<boolean> => {
    const hw = state!.highWater;
    const p = plan!;
    if (!hw || p.flagExpr) return false;
    const e = engine!;
    const at =
      p.tieExpr !== null
        ? await e.query(`SELECT 1 AS here FROM ${p.from} WHERE ${p.keyExpr} = ${e.placeholder(1)} AND ${p.tieExpr} = ${e.placeholder(2)} LIMIT 1`, [hw.key, hw.tie])
        : await e.query(`SELECT 1 AS here FROM ${p.from} WHERE ${p.keyExpr} = ${e.placeholder(1)} LIMIT 1`, [hw.key]);
    if (at.length > 0) return false;
    const below = await e.query(`SELECT 1 AS below FROM ${p.from} WHERE ${p.keyExpr} < ${e.placeholder(1)} LIMIT 1`, [hw.key]);
    if (below.length === 0) return false;
    status.rotations++;
    log.warn({ highWater: hw, table: layout.table }, 'the table was rotated (its keys restart below the high-water mark): reading the new table from its start');
    state!.highWater = null;
    status.highWater = null;
    recent.clear();
    state!.recent = [];
    await save();
    return true;
  };

  /** At the end of the table, now and then: rows that appeared below the mark, within the lookback, not yet taken. */
  const scanWindow = async (): Promise<void> => {
    const mark = state!.highWater;
    if (layout.lookback <= 0 || !mark || Date.now() - lastWindowScan < lookbackEveryMs) return;
    lastWindowScan = Date.now();
    const lower = keyMinus(mark.key, layout.lookback);
    if (lower === null) return;
    const { sql, params } = windowQuery(engine!, plan!, mark, lower);
    const tie = plan!.tieExpr !== null;
    const late = (await engine!.query(sql, params)).filter((row) => !recent.has(keyText(row, tie)));
    if (late.length === 0) return;
    await deliver(late);
    await ctx.flush?.();
    state!.rows += late.length;
    status.lateRows += late.length;
    remember(late);
    await save();
    log.info({ rows: late.length, first: keyText(late[0]!, tie) }, 'rows written late below the high-water mark were taken');
  };

  // Logged once per outage (and again only when it turns into a configuration problem), and once
  // when the source is readable again.
  const failed = async (err: unknown): Promise<number> => {
    const message =
      err instanceof CalltrailError
        ? err.message
        : err instanceof SinkRefused
          ? `the sink did not take a record of ${layout.table}: ${errorText(err.cause)}`
          : `${layout.table}: ${errorText(err)}`;
    status.lastError = message;
    const first = failingSince === null;
    if (first) {
      failingSince = Date.now();
      status.outages++;
    }
    if (err instanceof CalltrailError) {
      if (message !== lastLogged) log.error({ code: err.code }, message);
    } else if (first) {
      log.warn({ err }, `cannot read the source, retrying with backoff until it can: ${message}`);
    }
    lastLogged = message;
    await disconnect();
    return backoff.next();
  };

  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      let delay = 0;
      try {
        if (!engine) await connect();
        const more = await pullBatch();
        if (failingSince !== null) {
          log.info({ afterSeconds: Math.round((Date.now() - failingSince) / 1000) }, 'the source is readable again');
          failingSince = null;
          lastLogged = '';
        }
        status.lastError = null;
        backoff.reset();
        if (!more) {
          const rotated = await checkRotation();
          if (!rotated) await scanWindow();
          status.caughtUp = !rotated;
          if (!rotated) status.idlePolls++;
          delay = rotated ? 0 : pollMs;
        } else {
          status.caughtUp = false;
        }
      } catch (err) {
        if (signal.aborted) break;
        delay = await failed(err);
      }
      if (delay > 0) await pause(delay, signal);
    }
  };

  const running = run().finally(() => disconnect());

  return {
    status: () => ({ ...status }),
    async stop() {
      stopping.abort();
      ctx.signal?.removeEventListener('abort', onAbort);
      await running;
    },
  };
}
