import { logger } from '../core/log.js';
import { CallsRepository, type Batch, type CallToStore, type EventToStore, type JournalEntry } from '../store/calls-repository.js';
import type { Database } from '../store/database.js';
import { JournalRepository, type JournalFilter, type JournalRecord } from '../store/journal-repository.js';
import { IngestStream, legJoinFor, type BatchSink, type SwitchRuntime } from './ingest.js';

// Re-parses journaled records (after a parser fix, or a switch's time zone corrected) and replaces
// what they had made. The records to redo are listed first, so that calls written back during the
// run are not read again; raw_records (headers, events, failures) go before the calls' own records,
// each source with its own parser.

const log = logger('reprocess');
const CHUNK = 5000;

export interface ReprocessResult {
  records: number;
  removed: number;
  inserted: number;
  duplicates: number;
  failed: number;
}

class ChunkSink implements BatchSink {
  batch: Batch = { entries: [], calls: [], events: [], collectorId: null };

  add(entry: JournalEntry, calls: CallToStore[], event: EventToStore | null): undefined {
    this.batch.entries.push(entry);
    this.batch.calls.push(...calls);
    if (event) this.batch.events.push(event);
    return undefined;
  }
  addCalls(calls: CallToStore[]): undefined {
    this.batch.calls.push(...calls);
    return undefined;
  }
  forget(): void {}
  take(): Batch {
    const taken = this.batch;
    this.batch = { entries: [], calls: [], events: [], collectorId: null };
    return taken;
  }
}

export async function reprocessSwitch(database: Database, sw: SwitchRuntime, filter: JournalFilter): Promise<ReprocessResult> {
  const journal = new JournalRepository(database);
  const calls = new CallsRepository(database);
  const sink = new ChunkSink();
  const streams = new Map<string, IngestStream>();
  const result: ReprocessResult = { records: 0, removed: 0, inserted: 0, duplicates: 0, failed: 0 };
  const legJoin = legJoinFor(sw);

  const write = async (old: JournalRecord[]): Promise<void> => {
    const batch = sink.take();
    if (old.length === 0 && batch.calls.length === 0) return;
    await calls.assignJournalIds(batch);
    const r = await journal.replace(sw.row.id, old, batch, legJoin);
    result.removed += r.removed;
    result.inserted += r.inserted.length;
    result.duplicates += r.duplicates;
    result.failed += batch.entries.filter((e) => e.status === 'failed').length;
  };
  const redo = async (records: JournalRecord[]): Promise<void> => {
    for (const record of records) {
      let stream = streams.get(record.source);
      if (!stream) {
        stream = new IngestStream(sink, sw, record.source, record.collectorId);
        streams.set(record.source, stream);
      }
      stream.ingest(record.raw, { receivedAt: record.receivedAt, sequence: record.sequence, ordinal: record.ordinal });
    }
    result.records += records.length;
    await write(records);
  };

  const rawIds = await journal.rawRecordIds(sw.row.id, filter);
  const callIds = filter.failedOnly ? [] : await journal.singleRecordCallIds(sw.row.id, filter);
  const legIds = filter.failedOnly ? [] : await journal.legIds(sw.row.id, filter);
  for (let i = 0; i < rawIds.length; i += CHUNK) await redo(await journal.loadRawRecords(rawIds.slice(i, i + CHUNK)));
  for (let i = 0; i < callIds.length; i += CHUNK) await redo(await journal.loadCalls(callIds.slice(i, i + CHUNK)));
  for (let i = 0; i < legIds.length; i += CHUNK) await redo(await journal.loadCalls(legIds.slice(i, i + CHUNK), 'leg'));
  for (const stream of streams.values()) await stream.end();
  await write([]);
  log.info({ switch: sw.row.name, ...result }, 'reprocessed');
  return result;
}
