import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { importFile } from '../src/cli/import.js';
import { HEADER as CDRSTATS_HEADER, cdrstatsCsv } from '../src/formats/cdrstats-csv/format.js';
import type { Format, ParseContext } from '../src/formats/format.js';
import { allFormats } from '../src/formats/registry.js';
import { createFramer } from '../src/framing/framer.js';
import { decodeEntry, encodeEntry } from '../src/journal/codec.js';
import { generateCalls } from '../src/simulate/generate.js';
import { frameRecord } from '../src/simulate/simulator.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { createScratchDatabase } from '../src/store/scratch-database.js';
import { benchCollector } from './collector.js';
import { benchJournal } from './journal.js';
import { benchNumbers } from './numbers.js';
import { benchRating } from './rating.js';
import { benchSqlPull } from './sql-pull.js';

// npm run bench: writes bench/results.json. Every figure is compared with a baseline measured in
// the same run on the same engine (raw COPY of the same rows into a bare table). Sizes can be
// lowered with BENCH_IMPORT_ROWS for a quick look.

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const PARSE_RECORDS = Number(process.env.BENCH_PARSE_RECORDS ?? 200_000);
const POSTGRES_URL = process.env.CALLTRAIL_BENCH_DATABASE_URL ?? process.env.CALLTRAIL_TEST_DATABASE_URL;
const MYSQL_URL = process.env.CALLTRAIL_TEST_MYSQL_URL;
const COLLECT_RECORDS = Number(process.env.BENCH_COLLECT_RECORDS ?? 200_000);
const SQL_PULL_ROWS = Number(process.env.BENCH_SQL_PULL_ROWS ?? 1_000_000);
const WORK = join(process.cwd(), 'bench', 'work');
const CTX: ParseContext = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

interface Result {
  name: string;
  engine?: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  baseline?: { name: string; seconds: number; rowsPerSecond: number };
  ratioToBaseline?: number;
  peakRssMb?: number;
  note?: string;
}

const results: Result[] = [];
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

function log(line: string): void {
  process.stdout.write(line + '\n');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

/** The CDR-Stats file every import figure uses: the simulator's calls rendered as CDR-Stats rows. */
async function cdrstatsFile(rows: number): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  const path = join(WORK, `cdrstats-${rows}.csv`);
  if (existsSync(path)) return path;
  const out = createWriteStream(path);
  out.write(CDRSTATS_HEADER + '\n');
  const chunk = 50_000;
  for (let done = 0; done < rows; done += chunk) {
    // A busy site: a call every 4.5 s on average, so 1,000,000 calls span about 52 days.
    const sims = generateCalls({ count: Math.min(chunk, rows - done), seed: 1 + done, startMs: Date.UTC(2026, 0, 1) + done * 4500, meanGapSeconds: 4.5 });
    let text = '';
    for (const sim of sims) text += cdrstatsCsv.render({ ...sim, index: done + sim.index }, CTX)[0] + '\n';
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return path;
}

const BARE_TABLE = `CREATE TABLE bare_cdr (
  switch text, cdr_source_type int, callid text, caller_id_number text, caller_id_name text, destination_number text,
  dialcode text, state text, channel text, starting_date timestamp, duration int, billsec int, progresssec int,
  answersec int, waitsec int, hangup_cause_id int, hangup_cause text, direction int, country_code text, accountcode text,
  buy_rate numeric, buy_cost numeric, sell_rate numeric, sell_cost numeric, extradata jsonb)`;

async function copyBaselinePglite(file: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'calltrail-bench-'));
  const db = new PGlite(join(dir, 'pgdata'));
  try {
    await db.exec(BARE_TABLE);
    const { seconds } = await timed(async () => {
      const blob = new Blob([readFileSync(file)]);
      await db.query(`COPY bare_cdr FROM '/dev/blob' WITH (FORMAT csv, HEADER true)`, [], { blob });
    });
    return seconds;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(POSTGRES_URL!, 'ct_bench');
}

async function copyBaselinePostgres(file: string): Promise<number> {
  const fresh = await freshPostgres();
  const client = new pg.Client({ connectionString: fresh.url });
  await client.connect();
  try {
    await client.query(BARE_TABLE);
    const { seconds } = await timed(() =>
      pipeline(createReadStream(file), client.query(copyFrom('COPY bare_cdr FROM STDIN WITH (FORMAT csv, HEADER true)'))),
    );
    return seconds;
  } finally {
    await client.end();
    await fresh.drop();
  }
}

async function importInto(engine: 'pglite' | 'postgres', file: string): Promise<{ seconds: number; imported: number; peakRssMb: number }> {
  const fresh = engine === 'postgres' ? await freshPostgres() : null;
  const dir = engine === 'pglite' ? mkdtempSync(join(tmpdir(), 'calltrail-bench-')) : null;
  const database = await openDatabase(fresh ? { url: fresh.url } : { data: dir!, purpose: 'bench' });
  try {
    await migrate(database);
    peakRss = 0;
    const { seconds, value } = await timed(() => importFile(database, file, { format: 'cdrstats-csv', switchName: 'bench', timeZone: 'Europe/London' }));
    if (value.imported !== ROWS) throw new Error(`imported ${value.imported} of ${ROWS} rows: ${JSON.stringify(value)}`);
    return { seconds, imported: value.imported, peakRssMb: Math.round(peakRss / 1e6) };
  } finally {
    await database.close();
    if (fresh) await fresh.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function benchImport(engine: 'pglite' | 'postgres', file: string): Promise<void> {
  const copySeconds = engine === 'pglite' ? await copyBaselinePglite(file) : await copyBaselinePostgres(file);
  const run = await importInto(engine, file);
  const result: Result = {
    name: 'import cdrstats-csv',
    engine,
    rows: ROWS,
    seconds: round(run.seconds),
    rowsPerSecond: Math.round(ROWS / run.seconds),
    baseline: { name: 'raw COPY into a bare table', seconds: round(copySeconds), rowsPerSecond: Math.round(ROWS / copySeconds) },
    ratioToBaseline: round(copySeconds / run.seconds),
    peakRssMb: run.peakRssMb,
    note: 'journal + parse + dedupe + calls + hourly rollups, one transaction per 10,000 rows',
  };
  results.push(result);
  log(`import ${engine}: ${result.rowsPerSecond} rows/s (${result.seconds} s); raw COPY ${result.baseline!.rowsPerSecond} rows/s; ratio ${result.ratioToBaseline}; peak RSS ${result.peakRssMb} MB`);
}

/**
 * The records as the parser receives them in a collector: framed on the wire, read in 64 KB chunks,
 * cut by the format's framer, appended to the journal and read back from it.
 */
function journaledRecords(format: Format, rendered: string[]): string[] {
  const stream = rendered.map((r) => frameRecord(format.framing, r)).join('');
  const framer = createFramer(format.framing);
  const framed: string[] = [];
  for (let at = 0; at < stream.length; at += 65536) for (const r of framer.push(stream.slice(at, at + 65536))) framed.push(r.text);
  for (const r of framer.end()) framed.push(r.text);
  return framed.map((text, i) => {
    const entry = encodeEntry(i + 1, { source: 'bench', receivedAt: 0, text });
    const decoded = decodeEntry(entry, 0);
    if (decoded.kind !== 'entry') throw new Error(`${format.id}: record ${i + 1} did not come back from the journal`);
    return decoded.record.text;
  });
}

function benchParse(format: Format): void {
  const sims = generateCalls({ count: PARSE_RECORDS, seed: 3 });
  const records = journaledRecords(format, sims.flatMap((s) => format.render(s, CTX)));
  const runOnce = (): number => {
    const parser = format.createParser(CTX);
    const t0 = process.hrtime.bigint();
    let calls = 0;
    for (const r of records) if (parser(r).kind !== 'error') calls++;
    if (calls !== records.length) throw new Error(`${format.id}: ${records.length - calls} rendered records failed to parse`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  runOnce(); // warm up the JIT
  // The best of five: on a shared machine the slow runs measure the neighbours, not the parser.
  const seconds = Math.min(...Array.from({ length: 5 }, runOnce));
  const result: Result = { name: `parse ${format.id}`, rows: records.length, seconds: round(seconds), rowsPerSecond: Math.round(records.length / seconds), note: 'records/s on one core, best of 5; records as the journal hands them to the parser' };
  results.push(result);
  log(`parse ${format.id}: ${result.rowsPerSecond} records/s`);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function record(r: Result): void {
  results.push(r);
  const ratio = r.ratioToBaseline !== undefined ? `; ratio ${r.ratioToBaseline} to ${r.baseline!.name}` : '';
  const memory = r.peakRssMb !== undefined ? `; peak RSS ${r.peakRssMb} MB` : '';
  log(`${r.name}${r.engine ? ` (${r.engine})` : ''}: ${r.rowsPerSecond}/s${ratio}${memory}${r.note ? ` — ${r.note}` : ''}`);
}

/** The import figure on an engine, measured earlier in this run: the baseline of the end-to-end figures. */
function importResult(engine: string): Result | undefined {
  return results.find((r) => r.name === 'import cdrstats-csv' && r.engine === engine);
}

async function main(): Promise<void> {
  log(`calltrail bench: ${ROWS} import rows, ${PARSE_RECORDS} parse records per format`);
  for (const format of allFormats()) benchParse(format);
  for (const r of benchNumbers()) record(r);
  for (const r of benchRating()) record(r);
  for (const r of await benchJournal()) record(r);
  const file = await cdrstatsFile(ROWS);
  log(`input: ${file} (${Math.round(statSync(file).size / 1e6)} MB)`);
  await benchImport('pglite', file);
  if (POSTGRES_URL) await benchImport('postgres', file);
  else log('import postgres: skipped (set CALLTRAIL_BENCH_DATABASE_URL or CALLTRAIL_TEST_DATABASE_URL)');

  for (const engine of ['pglite', 'postgres'] as const) {
    if (engine === 'postgres' && !POSTGRES_URL) continue;
    const scratch = engine === 'postgres' ? await freshPostgres() : null;
    try {
      const r: Result = await benchCollector(engine, scratch?.url ?? null, COLLECT_RECORDS);
      const base = importResult(engine);
      if (base) {
        r.baseline = { name: `import cdrstats-csv (${engine})`, seconds: base.seconds, rowsPerSecond: base.rowsPerSecond };
        r.ratioToBaseline = round(r.rowsPerSecond / base.rowsPerSecond);
      }
      record(r);
    } finally {
      await scratch?.drop();
    }
  }
  if (POSTGRES_URL) {
    const copy = importResult('postgres')?.baseline;
    for (const r of await benchSqlPull(POSTGRES_URL, 'postgres', SQL_PULL_ROWS, POSTGRES_URL)) {
      record({ ...r, ...(copy ? { baseline: copy, ratioToBaseline: round(r.rowsPerSecond / copy.rowsPerSecond) } : {}) } as Result);
    }
    if (MYSQL_URL) for (const r of await benchSqlPull(MYSQL_URL, 'mysql', SQL_PULL_ROWS, POSTGRES_URL)) record({ ...r, ...(copy ? { baseline: copy, ratioToBaseline: round(r.rowsPerSecond / copy.rowsPerSecond) } : {}) } as Result);
  }
  clearInterval(rssTimer);
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
    results,
  };
  writeFileSync(join(process.cwd(), 'bench', 'results.json'), JSON.stringify(out, null, 2) + '\n');
  log('wrote bench/results.json');
}

await main();
