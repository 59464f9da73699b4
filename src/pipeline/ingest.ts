import type { Call } from '../core/call.js';
import { logger } from '../core/log.js';
import { isoInZone } from '../core/time.js';
import type { DialPlan } from '../config/schema.js';
import type { Assembler, Format, ParseContext, ParseResult, RecordParser } from '../formats/format.js';
import { mergeLegCalls } from '../formats/legs.js';
import { CallsRepository, type Batch, type CallRating, type CallToStore, type JournalEntry, type LegJoin } from '../store/calls-repository.js';
import type { Database } from '../store/database.js';
import type { SwitchRow } from '../store/switches-repository.js';
import type { CallBus } from './bus.js';
import { callIdKey, OrdinalTracker, recordKey, recordTextHash } from './dedupe.js';
import { normalizeCall } from './normalize.js';

// record → journal entry → parse → (assemble) → normalize → batch → one transaction per batch.
// A batch is written when it holds maxBatch records or is maxDelayMs old, whichever comes first.

const log = logger('ingest');

export interface SwitchRuntime {
  row: SwitchRow;
  format: Format;
  dialPlan: DialPlan;
  /** Rates and annotates each call right after normalizing (src/pipeline/pricing.ts); none: calls are stored unrated. */
  pricing?: CallPricer;
}

export interface CallPricer {
  price(call: Call, tenantId: string, startedAtMs: number): CallRating;
}

/** What happened to one record, for `collect --debug` and for import's rejected list. */
export interface RecordTrace {
  switchName: string;
  source: string;
  sequence: number;
  raw: string;
  result: ParseResult;
}

export interface IngestStats {
  records: number;
  inserted: number;
  duplicates: number;
  failed: number;
  skipped: number;
  events: number;
}

export interface IngestOptions {
  collectorId?: string | null;
  maxBatch?: number;
  maxDelayMs?: number;
  bus?: CallBus;
  onRecord?: (trace: RecordTrace) => void;
  /** Called after each batch commits, with what it stored. */
  onCommit?: (inserted: CallToStore[], duplicates: number) => void;
}

const OPEN_CALL_IDLE_MS = 24 * 3600 * 1000;
const REFERENCE_DAY_CACHE_MS = 60_000;
const MAX_OPEN_RECORDS = 10_000;

// PostgreSQL text cannot hold NUL; the journal keeps a visible stand-in instead.
const NUL = /\u0000/g;
const NUL_STAND_IN = '\u2400';

/** Where a stream puts what it made of each record: the Ingestor (new records) or reprocess (journaled ones). */
export interface BatchSink {
  /** Returns a promise when the caller should wait (batch full). */
  add(entry: JournalEntry, calls: CallToStore[], event: Batch['events'][number] | null, trace: RecordTrace | null): Promise<void> | undefined;
  /** Calls completed without a new record (assembler flush at the end of a stream). */
  addCalls(calls: CallToStore[]): Promise<void> | undefined;
  forget(stream: IngestStream): void;
}

function emptyBatch(collectorId: string | null): Batch {
  return { entries: [], calls: [], events: [], collectorId };
}

export class Ingestor implements BatchSink {
  readonly stats: IngestStats = { records: 0, inserted: 0, duplicates: 0, failed: 0, skipped: 0, events: 0 };
  private readonly calls: CallsRepository;
  private readonly collectorId: string | null;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private batch: Batch;
  private timer: NodeJS.Timeout | null = null;
  /** The most recent batch write; writes run one after another. */
  private lastWrite: Promise<void> = Promise.resolve();
  private lastFailure: unknown = null;
  private readonly streams = new Set<IngestStream>();

  constructor(
    database: Database,
    private readonly options: IngestOptions = {},
  ) {
    this.calls = new CallsRepository(database);
    this.collectorId = options.collectorId ?? null;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    this.batch = emptyBatch(this.collectorId);
  }

  openStream(sw: SwitchRuntime, source: string): IngestStream {
    const stream = new IngestStream(this, sw, source, this.collectorId);
    this.streams.add(stream);
    return stream;
  }

  add(entry: JournalEntry, calls: CallToStore[], event: Batch['events'][number] | null, trace: RecordTrace | null): Promise<void> | undefined {
    this.batch.entries.push(entry);
    for (const c of calls) this.batch.calls.push(c);
    if (event) this.batch.events.push(event);
    this.count(entry.status);
    if (trace) this.options.onRecord?.(trace);
    return this.afterAdd();
  }

  addCalls(calls: CallToStore[]): Promise<void> | undefined {
    for (const c of calls) this.batch.calls.push(c);
    return calls.length > 0 ? this.afterAdd() : undefined;
  }

  private count(status: JournalEntry['status']): void {
    this.stats.records++;
    if (status === 'failed') this.stats.failed++;
    else if (status === 'skipped') this.stats.skipped++;
    else if (status === 'event') this.stats.events++;
  }

  private afterAdd(): Promise<void> | undefined {
    if (this.batch.entries.length + this.batch.calls.length >= this.maxBatch) {
      // Let this batch be written while the caller fills the next one; the caller waits only for
      // the batch before it, so at most two are held in memory.
      const previous = this.lastWrite;
      this.flush().catch(() => undefined); // a failure is seen through lastFailure by the next caller
      return previous.then(() => {
        if (this.lastFailure) throw this.lastFailure;
      });
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush().catch((err: unknown) => log.error({ err }, 'writing a batch failed; it stays queued and is retried'));
      }, this.maxDelayMs);
    }
    return undefined;
  }

  /** Writes what is pending. On failure the batch stays queued and the error is thrown. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const next = this.lastWrite.then(() => this.writePending());
    this.lastWrite = next.catch(() => undefined);
    return next;
  }

  private async writePending(): Promise<void> {
    const batch = this.batch;
    if (batch.entries.length === 0 && batch.calls.length === 0) return;
    this.batch = emptyBatch(this.collectorId);
    try {
      const result = await this.calls.writeBatch(batch);
      this.lastFailure = null;
      this.stats.inserted += result.inserted.length;
      this.stats.duplicates += result.duplicates;
      this.options.onCommit?.(result.inserted, result.duplicates);
      const calls = result.joined.length === 0 ? result.inserted : [...result.inserted.filter((c) => !c.leg), ...result.joined];
      this.options.bus?.publish(calls.map((c) => ({ id: c.key, switchName: c.switchName, tenantId: c.tenantId, call: c.call })));
    } catch (err) {
      // Put the records back in front of anything that arrived meanwhile.
      const later = this.batch;
      this.batch = {
        entries: [...batch.entries, ...later.entries],
        calls: [...batch.calls, ...later.calls],
        events: [...batch.events, ...later.events],
        collectorId: this.collectorId,
      };
      this.lastFailure = err;
      throw err;
    }
  }

  /** Ends every stream (assemblers hand over what they hold) and writes everything. */
  async close(): Promise<void> {
    for (const stream of this.streams) await stream.end();
    await this.flush();
  }

  forget(stream: IngestStream): void {
    this.streams.delete(stream);
  }
}

export interface RecordOptions {
  receivedAt?: Date;
  sequence?: number;
  /** Set when the framer cut the record at this length. */
  truncatedAt?: number;
  /** For records already in the journal (reprocess): their dedupe ordinal. */
  ordinal?: number;
}

/** How the legs of a multi-leg format join into calls in the store; undefined for other formats. */
export function legJoinFor(sw: SwitchRuntime): LegJoin | undefined {
  const legKeys = sw.format.legKeys;
  if (!legKeys) return undefined;
  return {
    keys: legKeys,
    merge: (legs) => mergeLegCalls(legs, legKeys),
    price: (call, tenantId, startedAtMs) => sw.pricing?.price(call, tenantId, startedAtMs) ?? null,
  };
}

/** One ordered stream of records from one source of one switch (a file, a connection, a port). */
export class IngestStream {
  private readonly ctx: ParseContext;
  private readonly parser: RecordParser;
  private readonly assembler: Assembler | null;
  private readonly legJoin: LegJoin | undefined;
  private readonly ordinals = new OrdinalTracker();
  /** Journal entries of calls the assembler still holds, by call reference. */
  private readonly openCalls = new Map<string, { entries: JournalEntry[]; lastMs: number }>();
  private lastSweepMs = 0;
  private sequence = 0;
  private ended = false;
  /** When ctx.referenceDate was last worked out; it is kept for a minute of receive time. */
  private referenceDayFrom = -Infinity;

  constructor(
    private readonly sink: BatchSink,
    private readonly sw: SwitchRuntime,
    private readonly source: string,
    private readonly collectorId: string | null,
  ) {
    this.ctx = { timeZone: sw.row.timezone, referenceDate: isoInZone(Date.now(), sw.row.timezone).slice(0, 10) };
    this.parser = sw.format.createParser(this.ctx);
    this.assembler = sw.format.createAssembler?.(this.ctx) ?? null;
    this.legJoin = legJoinFor(sw);
  }

  /**
   * Journals and parses one record. Returns a promise when the batch is full and being written:
   * callers that can wait (imports) should, for backpressure.
   */
  ingest(text: string, options: RecordOptions = {}): Promise<void> | undefined {
    const receivedAt = options.receivedAt ?? new Date();
    const raw = text.indexOf('\u0000') === -1 ? text : text.replace(NUL, NUL_STAND_IN);
    this.sequence = options.sequence ?? this.sequence + 1;
    const receivedMs = receivedAt.getTime();
    if (receivedMs < this.referenceDayFrom || receivedMs >= this.referenceDayFrom + REFERENCE_DAY_CACHE_MS) {
      this.ctx.referenceDate = isoInZone(receivedMs, this.ctx.timeZone).slice(0, 10);
      this.referenceDayFrom = receivedMs;
    }

    let result: ParseResult;
    if (options.truncatedAt !== undefined) {
      result = { kind: 'error', error: `record longer than ${options.truncatedAt} bytes: cut there and not parsed` };
    } else {
      try {
        result = this.parser(raw);
      } catch (err) {
        // A parser bug must not lose the record: keep it with the error.
        result = { kind: 'error', error: `parser failed: ${(err as Error).message}` };
      }
    }
    const needsOrdinal = this.sw.format.dedupe === 'record-hash' && result.kind === 'call';
    const textHash = needsOrdinal ? recordTextHash(raw) : '';
    const entry: JournalEntry = {
      id: null,
      switchId: this.sw.row.id,
      source: this.source,
      collectorId: this.collectorId,
      receivedAt,
      sequence: this.sequence,
      ordinal: options.ordinal ?? (needsOrdinal ? this.ordinals.next(textHash, receivedAt.getTime()) : 0),
      raw,
      status: result.kind === 'call' ? 'parsed' : result.kind === 'skip' ? 'skipped' : result.kind === 'event' ? 'event' : 'failed',
      error: result.kind === 'error' ? result.error : null,
    };
    const trace = { switchName: this.sw.row.name, source: this.source, sequence: this.sequence, raw, result };

    if (result.kind === 'call') {
      const call = result.call;
      const startedAtMs = Date.parse(call.startedAt);
      const key =
        this.sw.format.dedupe === 'call-id' && call.callId
          ? callIdKey(this.sw.row.name, call.callId, startedAtMs)
          : recordKey(this.sw.row.name, startedAtMs, textHash, entry.ordinal);
      return this.sink.add(entry, [this.toStore(call, startedAtMs, key, entry, null)], null, trace);
    }
    if (result.kind === 'event') {
      const event = { switchId: this.sw.row.id, record: entry, event: result.event };
      const completed = this.assemble(result.event.callRef, entry, () => this.assembler!.push(result.event));
      return this.sink.add(entry, completed, event, trace);
    }
    return this.sink.add(entry, [], null, trace);
  }

  private assemble(callRef: string, entry: JournalEntry, step: () => Call[]): CallToStore[] {
    if (!this.assembler) return [];
    const now = entry.receivedAt.getTime();
    const open = this.openCalls.get(callRef);
    if (!open) this.openCalls.set(callRef, { entries: [entry], lastMs: now });
    else {
      open.entries.push(entry);
      open.lastMs = now;
      // A reference that never completes (a gateway's own log) keeps only its latest records.
      if (open.entries.length > MAX_OPEN_RECORDS) open.entries.splice(0, open.entries.length - MAX_OPEN_RECORDS);
    }
    if (now - this.lastSweepMs > OPEN_CALL_IDLE_MS) this.sweepOpenCalls(now);
    return this.completed(step(), entry);
  }

  /** Forgets the records of calls that have seen nothing for a day: the assembler gave up on them too. */
  private sweepOpenCalls(now: number): void {
    for (const [ref, open] of this.openCalls) if (now - open.lastMs > OPEN_CALL_IDLE_MS) this.openCalls.delete(ref);
    this.lastSweepMs = now;
  }

  private completed(calls: Call[], trigger: JournalEntry | null): CallToStore[] {
    return calls.map((call) => {
      const ref = call.callId ?? '';
      const records = this.openCalls.get(ref)?.entries ?? (trigger ? [trigger] : []);
      this.openCalls.delete(ref);
      const first = records[0];
      const journal = first ?? { source: this.source, receivedAt: new Date(), sequence: this.sequence, ordinal: 0 };
      const startedAtMs = Date.parse(call.startedAt);
      return this.toStore(call, startedAtMs, callIdKey(this.sw.row.name, ref, startedAtMs), journal, records);
    });
  }

  private toStore(call: Call, startedAtMs: number, key: string, journal: CallToStore['journal'], eventRecords: JournalEntry[] | null): CallToStore {
    const normalized = normalizeCall(call, this.sw.dialPlan);
    const { id: switchId, name: switchName, tenantId } = this.sw.row;
    // A leg is priced as part of its call, once the store has joined them.
    const rating = this.legJoin ? null : (this.sw.pricing?.price(normalized, tenantId, startedAtMs) ?? null);
    return { key, tenantId, switchId, switchName, call: normalized, startedAtMs, journal, eventRecords, rating, leg: this.legJoin };
  }

  /** The end of the stream: the assembler hands over the calls it still holds. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.assembler) await this.sink.addCalls(this.completed(this.assembler.flush(), null));
    this.sink.forget(this);
  }
}
