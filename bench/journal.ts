import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cdrstatsCsv } from '../src/formats/cdrstats-csv/format.js';
import type { ParseContext } from '../src/formats/format.js';
import { ingestConsumer } from '../src/journal/ingest-consumer.js';
import { RecordJournal, type FsyncPolicy, type JournalAppend } from '../src/journal/journal.js';
import { JournalPump } from '../src/journal/pump.js';
import { Ingestor } from '../src/pipeline/ingest.js';
import { generateCalls } from '../src/simulate/generate.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { createScratchDatabase } from '../src/store/scratch-database.js';
import { SwitchesRepository } from '../src/store/switches-repository.js';

// The collector journal's speed: appends/s under each fsync policy (500 concurrent appenders, as
// many connections would be) and the pump's drain rate into a consumer that does nothing, which
// bounds what the journal lets the database path reach. BENCH_JOURNAL_RECORDS sets the size.
// Run alone: npx tsx bench/journal.ts

const RECORDS = Number(process.env.BENCH_JOURNAL_RECORDS ?? 200_000);
const INGEST_RECORDS = Number(process.env.BENCH_JOURNAL_INGEST_RECORDS ?? 200_000);
const POSTGRES_URL = process.env.CALLTRAIL_BENCH_DATABASE_URL ?? process.env.CALLTRAIL_TEST_DATABASE_URL;
const APPENDERS = 500;

export interface JournalBenchResult {
  name: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  note?: string;
}

// A Mitel-style SMDR line, about 100 bytes, varied so nothing compresses into a cache.
function record(i: number): JournalAppend {
  const ext = 2000 + (i % 300);
  const digits = String(4_420_790_000_000 + i * 7919).slice(0, 12);
  return {
    source: 'mitel-5000/tcp',
    receivedAt: 1_760_000_000_000 + i * 10,
    text: ` 11/23 08:${String(i % 60).padStart(2, '0')}P 0000:0${i % 10}:${String(i % 60).padStart(2, '0')} P001 ${ext} T201 ${digits}                 A ${i % 1000}`,
  };
}

async function appendAll(journal: RecordJournal, count: number, appenders: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await journal.append(record(next++));
  };
  await Promise.all(Array.from({ length: appenders }, worker));
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function benchJournal(records = RECORDS): Promise<JournalBenchResult[]> {
  const results: JournalBenchResult[] = [];
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  const base = mkdtempSync(join(tmpdir(), 'calltrail-bench-journal-'));
  const rss = (): string => `peak RSS ${Math.round(peakRss / 1024 / 1024)} MB`;
  try {
    const policies: [string, FsyncPolicy][] = [
      ["fsync 'always'", 'always'],
      ['fsync every 100 ms', { intervalMs: 100 }],
    ];
    for (const [label, fsync] of policies) {
      const dir = join(base, label.replace(/\W+/g, '-'));
      const journal = await RecordJournal.open(dir, { fsync });
      const seconds = await timed(() => appendAll(journal, records, APPENDERS));
      results.push({
        name: `journal append, ${label}, ${APPENDERS} appenders`,
        rows: records,
        seconds,
        rowsPerSecond: Math.round(records / seconds),
        note: `${journal.io.writes} writes, ${journal.io.syncs} fsyncs (${(records / Math.max(1, journal.io.syncs)).toFixed(0)} records per fsync); ${rss()}`,
      });
      if (fsync === 'always') {
        // One appender waiting for each record: the fsync rate of the disk, the worst case.
        const single = Math.min(2000, records);
        const before = journal.io.syncs;
        const s = await timed(() => appendAll(journal, single, 1));
        results.push({
          name: `journal append, ${label}, 1 appender`,
          rows: single,
          seconds: s,
          rowsPerSecond: Math.round(single / s),
          note: `${journal.io.syncs - before} fsyncs: the disk's fsync rate`,
        });
        await journal.close();
        continue;
      }
      // Drain the interval journal's backlog with a consumer that stores nothing.
      let delivered = 0;
      const pump = new JournalPump(journal, async (batch) => {
        delivered += batch.length;
      });
      const total = journal.lastSequence;
      const drain = await timed(async () => {
        pump.start();
        await pump.whenDelivered(total);
      });
      await pump.stop();
      const backlog = await journal.backlog();
      results.push({
        name: 'journal pump drain, no-op consumer, batches of 1000',
        rows: delivered,
        seconds: drain,
        rowsPerSecond: Math.round(delivered / drain),
        note: `backlog after: ${backlog.records} records; ${rss()}`,
      });
      await journal.close();
    }
  } finally {
    clearInterval(rssTimer);
    rmSync(base, { recursive: true, force: true });
  }
  return results;
}

/**
 * End to end: 64 connections append CDR-Stats rows to the journal (fsync every 100 ms) while the
 * pump stores them through the Ingestor, one transaction per pump batch. Timed from the first
 * append to the last commit.
 */
export async function benchJournalIngest(engine: 'pglite' | 'postgres', records = INGEST_RECORDS): Promise<JournalBenchResult> {
  const ctx: ParseContext = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
  const lines: string[] = [];
  for (const sim of generateCalls({ count: records, seed: 7, startMs: Date.UTC(2026, 0, 1), meanGapSeconds: 4.5 })) lines.push(...cdrstatsCsv.render(sim, ctx));
  const base = mkdtempSync(join(tmpdir(), 'calltrail-bench-journal-ingest-'));
  const fresh = engine === 'postgres' ? await createScratchDatabase(POSTGRES_URL!, 'ct_bench_journal') : null;
  const database = await openDatabase(fresh ? { url: fresh.url } : { data: join(base, 'pgdata'), purpose: 'bench' });
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  try {
    await migrate(database);
    const row = await new SwitchesRepository(database).upsert({ name: 'bench', tenant: 'default', format: cdrstatsCsv.id, timezone: 'Europe/London', dialPlan: {} });
    const pumpBatch = 5000;
    // Large enough that only the pump's flush writes: one transaction per pump batch.
    const ingestor = new Ingestor(database, { collectorId: 'bench', maxBatch: 2 * pumpBatch + 2, maxDelayMs: 60_000 });
    const stream = ingestor.openStream({ row, format: cdrstatsCsv, dialPlan: {} }, 'bench/tcp');
    const journal = await RecordJournal.open(join(base, 'journal'), { fsync: { intervalMs: 100 } });
    const pump = new JournalPump(journal, ingestConsumer(ingestor, () => stream), { maxBatch: pumpBatch });
    peakRss = process.memoryUsage().rss;
    const seconds = await timed(async () => {
      pump.start();
      let next = 0;
      const connection = async (): Promise<void> => {
        while (next < lines.length) await journal.append({ source: 'bench/tcp', receivedAt: Date.now(), text: lines[next++]! });
      };
      await Promise.all(Array.from({ length: 64 }, connection));
      await pump.whenDelivered(lines.length);
    });
    await pump.stop();
    await journal.close();
    await ingestor.close();
    if (ingestor.stats.inserted !== records) throw new Error(`stored ${ingestor.stats.inserted} of ${records} calls: ${JSON.stringify(ingestor.stats)}`);
    return {
      name: `journal → pump → ingest → ${engine}, fsync every 100 ms`,
      rows: lines.length,
      seconds,
      rowsPerSecond: Math.round(lines.length / seconds),
      note: `${pump.stats.batches} transactions; peak RSS ${Math.round(peakRss / 1024 / 1024)} MB`,
    };
  } finally {
    clearInterval(rssTimer);
    await database.close();
    await fresh?.drop();
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = await benchJournal();
  results.push(await benchJournalIngest('pglite'));
  if (POSTGRES_URL) results.push(await benchJournalIngest('postgres'));
  for (const r of results) {
    process.stdout.write(`${r.name}: ${r.rows} in ${r.seconds.toFixed(2)} s = ${r.rowsPerSecond}/s${r.note ? ` (${r.note})` : ''}\n`);
  }
}
