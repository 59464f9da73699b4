import { logger } from '../core/log.js';
import type { CallToStore, EventToStore, JournalEntry } from '../store/calls-repository.js';
import type { Database } from '../store/database.js';
import { RawRecordsRepository, type JournalFilter } from '../store/raw-records-repository.js';
import { IngestStream, type BatchSink, type SwitchRuntime } from './ingest.js';

// Re-parses journaled records (after a parser fix, or a switch's time zone corrected) and replaces
// the calls they had made. Records are read in journal order, each source with its own parser.

const log = logger('reprocess');
const PAGE = 5000;

export interface ReprocessResult {
  records: number;
  removed: number;
  inserted: number;
  duplicates: number;
  failed: number;
}

class PageSink implements BatchSink {
  entries: JournalEntry[] = [];
  calls: CallToStore[] = [];
  events: EventToStore[] = [];

  add(entry: JournalEntry, calls: CallToStore[], event: EventToStore | null): undefined {
    this.entries.push(entry);
    this.calls.push(...calls);
    if (event) this.events.push(event);
    return undefined;
  }
  addCalls(calls: CallToStore[]): undefined {
    this.calls.push(...calls);
    return undefined;
  }
  forget(): void {}
  take(): { entries: JournalEntry[]; calls: CallToStore[]; events: EventToStore[] } {
    const taken = { entries: this.entries, calls: this.calls, events: this.events };
    this.entries = [];
    this.calls = [];
    this.events = [];
    return taken;
  }
}

export async function reprocessSwitch(database: Database, sw: SwitchRuntime, filter: JournalFilter): Promise<ReprocessResult> {
  const journal = new RawRecordsRepository(database);
  const sink = new PageSink();
  const streams = new Map<string, IngestStream>();
  const result: ReprocessResult = { records: 0, removed: 0, inserted: 0, duplicates: 0, failed: 0 };
  const write = async (): Promise<void> => {
    const { entries, calls, events } = sink.take();
    if (entries.length === 0 && calls.length === 0) return;
    const r = await journal.replaceParses(sw.row.id, entries, calls, events);
    result.removed += r.removed;
    result.inserted += r.inserted.length;
    result.duplicates += r.duplicates;
    result.failed += entries.filter((e) => e.status === 'failed').length;
  };
  let afterId = 0;
  for (;;) {
    const rows = await journal.page(sw.row.id, filter, afterId, PAGE);
    if (rows.length === 0) break;
    for (const row of rows) {
      let stream = streams.get(row.source);
      if (!stream) {
        stream = new IngestStream(sink, sw, row.source, row.collectorId);
        streams.set(row.source, stream);
      }
      stream.ingest(row.raw, { receivedAt: row.receivedAt, sequence: row.sequence, journalId: row.id, ordinal: row.ordinal });
    }
    result.records += rows.length;
    afterId = rows[rows.length - 1]!.id;
    await write();
  }
  for (const stream of streams.values()) await stream.end();
  await write();
  log.info({ switch: sw.row.name, ...result }, 'reprocessed');
  return result;
}
