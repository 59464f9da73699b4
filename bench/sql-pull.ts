import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DialPlan } from '../src/config/schema.js';
import { sqlRow } from '../src/formats/sql-row/format.js';
import { Ingestor } from '../src/pipeline/ingest.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { createScratchDatabase } from '../src/store/scratch-database.js';
import { SwitchesRepository } from '../src/store/switches-repository.js';
import { openEngine } from '../src/sources/sql-pull/engines.js';
import { startSqlPull, type SqlPullSink } from '../src/sources/sql-pull/pull.js';
import { ASTERISK_CDR_MYSQL, ASTERISK_CDR_PGSQL, ASTERISK_COLUMNS, asteriskRows, insertAsterisk, scratchMysql, scratchPostgres } from '../src/sources/sql-pull/test-support.js';

// The SQL pull source reading an Asterisk cdr table of N rows (ordered by calldate, uniqueid, as the
// asterisk-cdr preset does; the table has an index on both) from a local PostgreSQL or MariaDB:
// into a sink that does nothing, through the sql-row parser, and (given a PostgreSQL server for
// Calltrail's own store) all the way: parsed, deduped, stored in calls with the rollups.
//   npx tsx bench/sql-pull.ts postgres|mysql URL [ROWS] [STORE_URL]

export interface SqlPullBenchResult {
  name: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  note?: string;
}

const CHUNK = 20_000;

function copyText(value: unknown): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

async function fillPostgres(url: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(ASTERISK_CDR_PGSQL.replace('timestamp with time zone', 'timestamp without time zone').split(';\n')[0]!);
    for (let first = 0; first < rows; first += CHUNK) {
      const text = asteriskRows(Math.min(CHUNK, rows - first), undefined, first)
        .map((r) => ASTERISK_COLUMNS.map((c) => copyText(r[c])).join('\t'))
        .join('\n') + '\n';
      await pipeline(Readable.from([text]), client.query(copyFrom(`COPY cdr (${ASTERISK_COLUMNS.join(', ')}) FROM STDIN`)));
    }
    await client.query('CREATE INDEX cdr_calldate_uniqueid ON cdr (calldate, uniqueid)');
    await client.query('ANALYZE cdr');
  } finally {
    await client.end();
  }
}

async function fillMysql(url: string, rows: number): Promise<void> {
  const db = await openEngine({ engine: 'mysql', url });
  try {
    await db.query(ASTERISK_CDR_MYSQL.replace('KEY calldate (calldate)', 'KEY calldate (calldate, uniqueid)'));
    for (let first = 0; first < rows; first += CHUNK) await insertAsterisk(db, asteriskRows(Math.min(CHUNK, rows - first), undefined, first), 'cdr', 2000);
    await db.query('ANALYZE TABLE cdr');
  } finally {
    await db.close();
  }
}

async function pullAll(url: string, engine: 'postgres' | 'mysql', rows: number, sink: SqlPullSink, batchSize: number): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), 'calltrail-bench-sql-pull-'));
  const t0 = process.hrtime.bigint();
  let taken = 0;
  const pull = startSqlPull({ type: 'sql', engine, url, preset: 'asterisk-cdr', batchSize, pollSeconds: 0.01 }, (r) => {
    taken++;
    return sink(r);
  }, { stateDir });
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      const s = pull.status();
      if (s.lastError) throw new Error(s.lastError);
      if (s.idlePolls > 0) break;
    }
  } finally {
    await pull.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  if (taken !== rows) throw new Error(`pulled ${taken} rows of ${rows}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Fills a scratch table with `rows` Asterisk rows on the server at sourceUrl and measures pulling them. */
export async function benchSqlPull(sourceUrl: string, engine: 'postgres' | 'mysql', rows: number, storeUrl?: string, batchSize = 5000): Promise<SqlPullBenchResult[]> {
  const scratch = engine === 'postgres' ? await scratchPostgres(sourceUrl) : await scratchMysql(sourceUrl);
  try {
    const t0 = process.hrtime.bigint();
    if (engine === 'postgres') await fillPostgres(scratch.url, rows);
    else await fillMysql(scratch.url, rows);
    const fillSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const label = engine === 'postgres' ? 'PostgreSQL' : 'MariaDB';
    const results: SqlPullBenchResult[] = [];
    const noop = await pullAll(scratch.url, engine, rows, () => undefined, batchSize);
    results.push({
      name: `sql pull ${label} → no-op sink`,
      rows,
      seconds: +noop.toFixed(3),
      rowsPerSecond: Math.round(rows / noop),
      note: `asterisk-cdr preset, keyset on (calldate, uniqueid), batch ${batchSize}, mark fsynced per batch; table filled in ${fillSeconds.toFixed(1)} s`,
    });
    const parse = sqlRow.createParser({ timeZone: 'Europe/London', referenceDate: '2026-01-20' });
    let failed = 0;
    const parsed = await pullAll(scratch.url, engine, rows, (r) => {
      if (parse(r.text).kind !== 'call') failed++;
      return undefined;
    }, batchSize);
    if (failed > 0) throw new Error(`${failed} rows did not parse`);
    results.push({
      name: `sql pull ${label} → sql-row parser`,
      rows,
      seconds: +parsed.toFixed(3),
      rowsPerSecond: Math.round(rows / parsed),
      note: 'as above, each record parsed into a Call',
    });
    if (storeUrl) {
      const stored = await pullIntoStore(scratch.url, engine, rows, batchSize, storeUrl);
      results.push({
        name: `sql pull ${label} → Calltrail on PostgreSQL`,
        rows,
        seconds: +stored.toFixed(3),
        rowsPerSecond: Math.round(rows / stored),
        note: 'as above, and stored: journal rows, dedupe, calls and hourly rollups in a fresh Calltrail database, one transaction per 5,000 rows',
      });
    }
    return results;
  } finally {
    await scratch.drop();
  }
}

/** Pulls every row into a fresh Calltrail store on the PostgreSQL server at storeUrl; returns the seconds until all are committed. */
async function pullIntoStore(url: string, engine: 'postgres' | 'mysql', rows: number, batchSize: number, storeUrl: string): Promise<number> {
  const fresh = await createScratchDatabase(storeUrl, 'ct_bench_pull');
  const database = await openDatabase({ url: fresh.url });
  try {
    await migrate(database);
    const row = await new SwitchesRepository(database).upsert({ name: 'asterisk-db', tenant: 'default', format: 'sql-row', timezone: 'Europe/London', dialPlan: { country: 'GB' } as DialPlan });
    const ingestor = new Ingestor(database, { maxBatch: batchSize });
    const stream = ingestor.openStream({ row, format: sqlRow, dialPlan: { country: 'GB' } as DialPlan }, 'cdr');
    const t0 = process.hrtime.bigint();
    await pullAll(url, engine, rows, (r) => stream.ingest(r.text), batchSize);
    await ingestor.close();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (ingestor.stats.inserted !== rows) throw new Error(`stored ${ingestor.stats.inserted} of ${rows} rows: ${JSON.stringify(ingestor.stats)}`);
    return seconds;
  } finally {
    await database.close();
    await fresh.drop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [engine, url, rows, storeUrl] = process.argv.slice(2) as ['postgres' | 'mysql', string, string | undefined, string | undefined];
  const results = await benchSqlPull(url, engine, Number(rows ?? 200_000), storeUrl);
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}
