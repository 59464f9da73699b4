import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CalltrailError, type ErrorCode } from '../core/errors.js';
import { logger } from '../core/log.js';
import { lockDataDir } from '../store/lock.js';
import { encodeEntry, SEGMENT_HEADER, type JournalAppend, type JournalRecord } from './codec.js';
import { SegmentReader, type SegmentItem } from './segment-reader.js';

export type { JournalAppend, JournalRecord } from './codec.js';

// The collector's journal on disk: the software buffer box. Every record a collector reads is
// appended here, with a sequence number, before anything else happens to it; a checkpoint says
// what the database (or the central server) has committed. After a crash or an outage the records
// after the checkpoint are read back, oldest first.
//
// Layout of the directory (one journal per collector, holding all its sources):
//   00000000000000000001.seg   segments, named by the sequence of their first record (20 digits)
//   checkpoint.json            {"committed": N}: every record ≤ N is stored; written atomically
//   <segment>.<offset>.corrupt bytes the journal could not use (damage, a torn tail), kept aside
//   calltrail.lock             one process per journal
//
// Durability (what an acknowledged append — its promise resolved — survives):
//   fsync 'always'          every append is on stable storage before its promise resolves, so
//                           it survives kill -9 and power loss. Appends that arrive while an fsync
//                           runs share the next one (group commit): throughput grows with the
//                           number of concurrent appenders, not with the disk's fsync rate.
//   fsync { intervalMs: N } an append resolves once write() has handed it to the OS. kill -9 of the
//                           collector loses nothing acknowledged (the OS keeps its page cache).
//                           Power loss or an OS crash loses at most the records acknowledged in the
//                           last N ms plus the time one fsync takes: a write is fsynced at most N ms
//                           after it was made. A record torn by the crash is cut on the next open.
// Sequences keep growing across restarts: the next one is above both the last record on disk
// and the checkpoint, so a journal that lost its tail to power loss never reuses a number the
// database has already seen.

const log = logger('journal');

// TODO(lead): a JOURNAL_FAILED code ('the journal on disk cannot be written or read') fits better.
const JOURNAL_ERROR: ErrorCode = 'FILE_UNREADABLE';

export type FsyncPolicy = 'always' | { intervalMs: number };

export interface JournalOptions {
  /** Default 'always'. */
  fsync?: FsyncPolicy;
  /** A new segment is started when the current one would grow past this. Default 64 MiB. */
  segmentBytes?: number;
  /** Wholly committed segments kept on disk (newest first) before they are deleted. Default 0. */
  keepCommittedSegments?: number;
}

export interface JournalBacklog {
  /** Records not yet committed (sequence numbers between the checkpoint and the last append). */
  records: number;
  /** Bytes of journal holding them. */
  bytes: number;
  /** receivedAt of the oldest record not yet committed. */
  oldestReceivedAt: number | null;
}

const CHECKPOINT = 'checkpoint.json';
const SEGMENT_NAME = /^(\d{20})\.seg$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = SEGMENT_HEADER.length;
const OPEN_READ_HANDLES = 3;

interface Segment {
  firstSeq: number;
  path: string;
  /** Bytes written (and readable); only grows, by whole entries. */
  size: number;
}

interface Pending {
  buf: Buffer;
  seq: number;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

/** Where reading stopped: every entry of the segment before `offset` has a sequence ≤ `prev`. */
interface Cursor {
  segFirst: number;
  offset: number;
  prev: number;
}

function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.seg`;
}

export class RecordJournal {
  private segments: Segment[] = [];
  private active: { segment: Segment; handle: FileHandle } | null = null;
  private lastSeq = 0;
  private writtenSeq = 0;
  private durableSeq = 0;
  private committed = 0;
  private durableCheckpoint = 0;

  private queue: Pending[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncDue = false;
  private dirty = false;
  private failure: CalltrailError | null = null;
  private closed = false;

  private readonly waiters = new Set<() => void>();
  private checkpointing: Promise<void> | null = null;
  private checkpointWaiters: { sequence: number; resolve: () => void; reject: (err: unknown) => void }[] = [];

  /** Reads and segment deletions run one at a time (they share the read handles). */
  private readLock: Promise<unknown> = Promise.resolve();
  private readonly readHandles = new Map<number, { handle: FileHandle; reader: SegmentReader }>();
  private cursors: Cursor[] = [];
  private readonly reportedDamage = new Set<string>();

  /** Writes and fsyncs made, for tests and benchmarks (group commit makes syncs ≪ appends). */
  readonly io = { writes: 0, syncs: 0 };
  private readonly fsync: FsyncPolicy;
  private readonly segmentBytes: number;
  private readonly keepCommittedSegments: number;

  private constructor(
    readonly dir: string,
    options: JournalOptions,
    private readonly releaseLock: () => void,
  ) {
    this.fsync = options.fsync ?? 'always';
    if (this.fsync !== 'always' && !(this.fsync.intervalMs > 0)) throw new RangeError('journal: fsync intervalMs must be above 0');
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.keepCommittedSegments = options.keepCommittedSegments ?? 0;
  }

  /** Opens (or creates) the journal in `dir`, cutting a torn tail left by a crash. */
  static async open(dir: string, options: JournalOptions = {}): Promise<RecordJournal> {
    await mkdir(dir, { recursive: true });
    const release = lockDataDir(dir, 'collector journal');
    const journal = new RecordJournal(dir, options, release);
    try {
      await journal.recover();
    } catch (err) {
      release();
      throw err instanceof CalltrailError ? err : new CalltrailError(JOURNAL_ERROR, `journal ${dir}: cannot open: ${(err as Error).message}`, undefined, { cause: err });
    }
    return journal;
  }

  /** The sequence of the last append (written or still queued). */
  get lastSequence(): number {
    return this.lastSeq;
  }

  /** Records through this sequence are written and can be read. */
  get writtenSequence(): number {
    return this.writtenSeq;
  }

  /** Records through this sequence are on stable storage (fsynced). */
  get durableSequence(): number {
    return this.durableSeq;
  }

  /** Records through this sequence are stored by the consumer (the checkpoint, maybe not yet on disk). */
  get committedSequence(): number {
    return this.committed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The segment files, oldest first (for tests and `status`). */
  get segmentFiles(): string[] {
    return this.segments.map((s) => s.path);
  }

  // ---- opening ----------------------------------------------------------------------------

  private async recover(): Promise<void> {
    await rm(join(this.dir, CHECKPOINT + '.tmp'), { force: true });
    this.committed = this.durableCheckpoint = await this.readCheckpoint();
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    for (const name of names) {
      const path = join(this.dir, name);
      this.segments.push({ firstSeq: Number(name.slice(0, 20)), path, size: (await stat(path)).size });
    }
    let lastSeq = 0;
    const last = this.segments.at(-1);
    if (last) {
      const tail = await this.recoverTail(last);
      lastSeq = tail ?? last.firstSeq - 1;
    }
    if (this.committed > lastSeq) {
      if (this.segments.length > 0) {
        log.warn({ dir: this.dir, checkpoint: this.committed, lastOnDisk: lastSeq }, 'the checkpoint is ahead of the journal (records lost with the OS or power?); numbering continues above the checkpoint');
      }
      lastSeq = this.committed;
    }
    this.lastSeq = this.writtenSeq = this.durableSeq = lastSeq;
    await this.deleteCommittedSegments();
  }

  private async readCheckpoint(): Promise<number> {
    let text: string;
    try {
      text = await readFile(join(this.dir, CHECKPOINT), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    try {
      const committed = (JSON.parse(text) as { committed?: unknown }).committed;
      if (typeof committed === 'number' && Number.isSafeInteger(committed) && committed >= 0) return committed;
    } catch {
      // reported below
    }
    // Replaying from the start is safe (the store is idempotent); losing records is not.
    log.error({ dir: this.dir, text: text.slice(0, 200) }, 'the journal checkpoint is unreadable; every record in the journal will be delivered again');
    return 0;
  }

  /**
   * Checks the last segment entry by entry. Damage followed by good entries stays (the reader
   * reports it); damage running to the end is a torn tail: copied aside and cut. Returns the last
   * good sequence, or null when the segment holds none (it is then removed).
   */
  private async recoverTail(segment: Segment): Promise<number | null> {
    const handle = await open(segment.path, 'r+');
    let keep = true;
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
      let lastSeq: number | null = null;
      let validEnd = 0;
      if (bytesRead === HEADER_BYTES && header.equals(SEGMENT_HEADER)) {
        const reader = new SegmentReader(handle, segment.size);
        let pos = HEADER_BYTES;
        let prev = segment.firstSeq - 1;
        validEnd = pos;
        while (pos < segment.size) {
          const item = await reader.itemAt(pos, prev);
          if (item.kind === 'entry') {
            prev = lastSeq = item.record.sequence;
            pos = validEnd = item.at + item.size;
          } else if (item.end < segment.size) {
            log.warn({ segment: segment.path, offset: item.at, bytes: item.end - item.at, reason: item.reason }, 'damaged bytes inside the journal; reported when read');
            pos = item.end;
          } else break;
        }
      }
      if (validEnd < segment.size) {
        const cut = await new SegmentReader(handle, segment.size).bytes(validEnd, segment.size);
        const aside = await this.keepAside(segment, validEnd, cut);
        log.warn(
          { segment: segment.path, offset: validEnd, bytes: segment.size - validEnd, keptIn: aside },
          'the journal ends inside a record (a write torn by a crash): cut there',
        );
        if (lastSeq !== null) {
          await handle.truncate(validEnd);
          await handle.datasync();
        }
        segment.size = validEnd;
      }
      if (lastSeq === null) {
        keep = false;
        return null;
      }
      if (segment.size < this.segmentBytes) {
        this.active = { segment, handle };
      }
      return lastSeq;
    } finally {
      if (!keep) {
        await handle.close();
        await rm(segment.path, { force: true });
        this.segments.pop();
        await this.syncDir();
      } else if (this.active?.handle !== handle) await handle.close();
    }
  }

  // ---- appending --------------------------------------------------------------------------

  /**
   * Journals one record. Resolves with its sequence once it is as durable as the fsync policy
   * promises; rejects if the journal cannot write (it then refuses every later append until it
   * is reopened, which cuts whatever the failed write left).
   */
  append(entry: JournalAppend): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new CalltrailError(JOURNAL_ERROR, `journal ${this.dir}: closed`));
    const seq = this.lastSeq + 1;
    let buf: Buffer;
    try {
      buf = encodeEntry(seq, entry);
    } catch (err) {
      return Promise.reject(new CalltrailError('VALIDATION', `journal ${this.dir}, source ${entry.source.slice(0, 100)}: ${(err as Error).message}`));
    }
    this.lastSeq = seq;
    this.queuedBytes += buf.length;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ buf, seq, resolve, reject });
      this.kickWriter();
    });
  }

  private kickWriter(): void {
    if (this.writing) return;
    this.writing = this.runWriter().finally(() => {
      this.writing = null;
    });
  }

  private async runWriter(): Promise<void> {
    while (!this.failure && (this.queue.length > 0 || this.syncDue)) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (batch.length > 0) await this.writeBatch(batch);
        if (this.syncDue) {
          this.syncDue = false;
          await this.syncActive();
        }
      } catch (err) {
        this.fail(err, batch);
      }
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      const first = batch[i]!;
      if (!this.active || (this.active.segment.size > HEADER_BYTES && this.active.segment.size + first.buf.length > this.segmentBytes)) {
        await this.startSegment(first.seq);
      }
      const { segment, handle } = this.active!;
      let j = i;
      let bytes = 0;
      while (j < batch.length && (j === i || segment.size + bytes + batch[j]!.buf.length <= this.segmentBytes)) bytes += batch[j++]!.buf.length;
      const data = j - i === 1 ? first.buf : Buffer.concat(batch.slice(i, j).map((p) => p.buf), bytes);
      let done = 0;
      while (done < data.length) done += (await handle.write(data, done, data.length - done, segment.size + done)).bytesWritten;
      this.io.writes++;
      segment.size += bytes;
      this.queuedBytes -= bytes;
      this.writtenSeq = batch[j - 1]!.seq;
      this.dirty = true;
      i = j;
    }
    this.wake();
    if (this.fsync === 'always') {
      await this.syncActive();
    } else if (!this.syncTimer) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = null;
        this.syncDue = true;
        this.kickWriter();
      }, this.fsync.intervalMs);
    }
    for (const p of batch) p.resolve(p.seq);
  }

  private async syncActive(): Promise<void> {
    if (!this.active || !this.dirty) return;
    const seq = this.writtenSeq;
    this.dirty = false;
    await this.active.handle.datasync();
    this.io.syncs++;
    this.durableSeq = seq;
  }

  /** Seals the current segment (fsynced) and starts a new one named by its first sequence. */
  private async startSegment(firstSeq: number): Promise<void> {
    if (this.active) {
      await this.syncActive();
      await this.active.handle.close();
      this.active = null;
    }
    const segment: Segment = { firstSeq, path: join(this.dir, segmentName(firstSeq)), size: 0 };
    const handle = await open(segment.path, 'wx+');
    try {
      await handle.write(SEGMENT_HEADER, 0, HEADER_BYTES, 0);
      await handle.datasync();
      await this.syncDir();
    } catch (err) {
      await handle.close();
      throw err;
    }
    segment.size = HEADER_BYTES;
    this.segments.push(segment);
    this.active = { segment, handle };
  }

  private fail(err: unknown, batch: Pending[]): void {
    this.failure = new CalltrailError(
      JOURNAL_ERROR,
      `journal ${this.dir}: writing failed (${(err as Error).message}); no more records are taken until the journal is reopened`,
      undefined,
      { cause: err },
    );
    log.error({ err, dir: this.dir }, 'the journal cannot write');
    const failed = [...batch, ...this.queue];
    this.queue = [];
    // With interval fsync a record is acknowledged once written; with 'always' only once fsynced.
    for (const p of failed) {
      if (p.seq <= this.writtenSeq && this.fsync !== 'always') p.resolve(p.seq);
      else p.reject(this.failure);
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /**
   * Resolves once a record after `after` can be read, the journal closes, the signal aborts or
   * the timeout passes: the live path's notification (no polling).
   */
  waitForAppend(after: number, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const { signal, timeoutMs } = options;
    if (this.writtenSeq > after || this.closed || signal?.aborted || timeoutMs === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        this.waiters.delete(check);
        signal?.removeEventListener('abort', finish);
        clearTimeout(timer);
        resolve();
      };
      const check = (): void => {
        if (this.writtenSeq > after || this.closed) finish();
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', finish, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(finish, timeoutMs);
    });
  }

  // ---- committing -------------------------------------------------------------------------

  /**
   * Marks every record ≤ sequence as stored. Resolves when the checkpoint saying so is on disk;
   * calls made while one is being written share the next write. Segments wholly committed are
   * then deleted (beyond keepCommittedSegments).
   */
  commit(sequence: number): Promise<void> {
    if (!Number.isSafeInteger(sequence) || sequence < 0) return Promise.reject(new RangeError(`journal: bad sequence ${sequence}`));
    if (sequence > this.writtenSeq) {
      return Promise.reject(new RangeError(`journal ${this.dir}: cannot commit ${sequence}, records are written through ${this.writtenSeq}`));
    }
    if (sequence > this.committed) this.committed = sequence;
    if (sequence <= this.durableCheckpoint) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.checkpointWaiters.push({ sequence, resolve, reject });
      this.checkpointing ??= this.runCheckpoints().finally(() => {
        this.checkpointing = null;
      });
    });
  }

  private async runCheckpoints(): Promise<void> {
    while (this.durableCheckpoint < this.committed) {
      const value = this.committed;
      try {
        await this.writeCheckpoint(value);
      } catch (err) {
        const error = new CalltrailError(JOURNAL_ERROR, `journal ${this.dir}: cannot write the checkpoint: ${(err as Error).message}`, undefined, { cause: err });
        for (const w of this.checkpointWaiters.splice(0)) w.reject(error);
        return;
      }
      this.durableCheckpoint = value;
      try {
        await this.deleteCommittedSegments();
      } catch (err) {
        log.warn({ err, dir: this.dir }, 'deleting committed journal segments failed; tried again at the next commit');
      }
      const waiting = this.checkpointWaiters;
      this.checkpointWaiters = waiting.filter((w) => w.sequence > value);
      for (const w of waiting) if (w.sequence <= value) w.resolve();
    }
  }

  private async writeCheckpoint(committed: number): Promise<void> {
    const path = join(this.dir, CHECKPOINT);
    const tmp = path + '.tmp';
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify({ committed }) + '\n');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await this.syncDir();
  }

  /** Deletes segments whose every record is ≤ the durable checkpoint, keeping the newest few. */
  private deleteCommittedSegments(): Promise<void> {
    return this.exclusive(async () => {
      let committedSegments = 0;
      // The last segment is the one appended to: it stays, so the last sequence is always on disk.
      while (committedSegments < this.segments.length - 1 && this.segments[committedSegments + 1]!.firstSeq - 1 <= this.durableCheckpoint) committedSegments++;
      const remove = this.segments.slice(0, Math.max(0, committedSegments - this.keepCommittedSegments));
      for (const segment of remove) {
        const reading = this.readHandles.get(segment.firstSeq);
        if (reading) {
          this.readHandles.delete(segment.firstSeq);
          await reading.handle.close();
        }
        await rm(segment.path, { force: true });
        this.segments.splice(this.segments.indexOf(segment), 1);
      }
    });
  }

  // ---- reading ----------------------------------------------------------------------------

  /**
   * Up to maxRecords records with sequences above `after`, oldest first, as far as written.
   * Damaged bytes come back as one record with `damage` set per damaged stretch (see JournalRecord).
   */
  readBatch(after: number, maxRecords: number, maxBytes = 4 * 1024 * 1024): Promise<JournalRecord[]> {
    return this.exclusive(async () => (await this.scan(after, maxRecords, maxBytes)).records);
  }

  /** Every record after `after` written so far, oldest first, a batch at a time. */
  async *replay(after = this.committed, batchSize = 1000): AsyncGenerator<JournalRecord> {
    for (;;) {
      const batch = await this.readBatch(after, batchSize);
      if (batch.length === 0) return;
      yield* batch;
      after = batch.at(-1)!.sequence;
    }
  }

  /** What is waiting for the database. */
  backlog(): Promise<JournalBacklog> {
    return this.exclusive(async () => {
      const records = this.lastSeq - this.committed;
      if (records <= 0) return { records: 0, bytes: 0, oldestReceivedAt: null };
      const found = await this.scan(this.committed, 1, 1);
      const first = found.records[0];
      let bytes = this.queuedBytes;
      if (first && found.start) {
        for (const s of this.segments) {
          if (s.firstSeq === found.start.segFirst) bytes += s.size - found.start.offset;
          else if (s.firstSeq > found.start.segFirst) bytes += s.size - HEADER_BYTES;
        }
      }
      return { records, bytes, oldestReceivedAt: first && Number.isFinite(first.receivedAt) && first.receivedAt > 0 ? first.receivedAt : null };
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.readLock.then(fn);
    this.readLock = run.catch(() => undefined);
    return run;
  }

  private async scan(after: number, maxRecords: number, maxBytes: number): Promise<{ records: JournalRecord[]; start: Cursor | null }> {
    const records: JournalRecord[] = [];
    let start: Cursor | null = null;
    if (after >= this.writtenSeq || this.segments.length === 0 || this.closed) return { records, start };
    let segment = this.segmentFor(after + 1);
    const cached = this.cursors.filter((c) => c.segFirst === segment.firstSeq && c.prev <= after).sort((a, b) => b.offset - a.offset)[0];
    let offset = cached?.offset ?? HEADER_BYTES;
    let prev = cached?.prev ?? segment.firstSeq - 1;
    let bytes = 0;
    while (records.length < maxRecords && bytes < maxBytes) {
      if (offset >= segment.size) {
        const next = this.segments.find((s) => s.firstSeq > segment.firstSeq);
        if (!next) break;
        segment = next;
        offset = HEADER_BYTES;
        prev = Math.max(prev, segment.firstSeq - 1);
        continue;
      }
      const reader = await this.readerFor(segment);
      const item = await reader.itemAt(offset, prev);
      if (item.kind === 'entry') {
        if (item.record.sequence > after) {
          start ??= { segFirst: segment.firstSeq, offset, prev };
          records.push(item.record);
          bytes += item.size;
        }
        prev = Math.max(prev, item.record.sequence);
        offset += item.size;
        continue;
      }
      const through = await this.damagedThrough(segment, item, reader, prev);
      const record = await this.reportDamage(segment, item, reader, prev + 1, through);
      if (record && record.sequence > after) {
        start ??= { segFirst: segment.firstSeq, offset, prev };
        records.push(record);
        bytes += item.end - item.at;
      }
      prev = Math.max(prev, through);
      offset = item.end;
    }
    this.cursors = [{ segFirst: segment.firstSeq, offset, prev }, ...this.cursors.filter((c) => c.segFirst !== segment.firstSeq || c.offset !== offset)].slice(0, 4);
    return { records, start };
  }

  /** The segment holding `sequence`: the last one whose first sequence is not above it. */
  private segmentFor(sequence: number): Segment {
    let found = this.segments[0]!;
    for (const s of this.segments) {
      if (s.firstSeq > sequence) break;
      found = s;
    }
    return found;
  }

  private async readerFor(segment: Segment): Promise<SegmentReader> {
    let reading = this.readHandles.get(segment.firstSeq);
    if (!reading) {
      if (this.readHandles.size >= OPEN_READ_HANDLES) {
        const [oldest, entry] = this.readHandles.entries().next().value!;
        this.readHandles.delete(oldest);
        await entry.handle.close();
      }
      const handle = await open(segment.path, 'r');
      reading = { handle, reader: new SegmentReader(handle, segment.size) };
      this.readHandles.set(segment.firstSeq, reading);
    }
    reading.reader.end = segment.size; // the active segment grows
    return reading.reader;
  }

  /** The last sequence a damaged stretch can have held: just below what follows it. */
  private async damagedThrough(segment: Segment, item: Extract<SegmentItem, { kind: 'damage' }>, reader: SegmentReader, prev: number): Promise<number> {
    if (item.end < segment.size) {
      const next = await reader.itemAt(item.end, prev);
      if (next.kind === 'entry') return next.record.sequence - 1;
    }
    const later = this.segments.find((s) => s.firstSeq > segment.firstSeq);
    return later ? later.firstSeq - 1 : this.writtenSeq;
  }

  /** Copies damaged bytes aside (once), logs them, and makes the record that stands for them. */
  private async reportDamage(
    segment: Segment,
    item: Extract<SegmentItem, { kind: 'damage' }>,
    reader: SegmentReader,
    from: number,
    through: number,
  ): Promise<JournalRecord | null> {
    const aside = `${segment.path}.${item.at}.corrupt`;
    const key = `${segment.firstSeq}:${item.at}`;
    const lost = from <= through ? (from === through ? `sequence ${from}` : `sequences ${from}–${through}`) : 'no record';
    if (!this.reportedDamage.has(key)) {
      this.reportedDamage.add(key);
      await this.keepAside(segment, item.at, await reader.bytes(item.at, item.end));
      log.error({ segment: segment.path, offset: item.at, bytes: item.end - item.at, reason: item.reason, lost, keptIn: aside }, 'damaged bytes in the journal');
    }
    if (from > through) return null; // bytes between two good neighbours in sequence: no record was lost
    const damage = `journal bytes damaged on disk (${item.reason}): ${item.end - item.at} bytes at ${basename(segment.path)} offset ${item.at}, ${lost}; copied to ${basename(aside)}`;
    const partial = item.partial;
    return {
      sequence: from,
      source: partial?.source ?? '',
      receivedAt: partial?.receivedAt ?? 0,
      text: partial?.text ?? '',
      truncated: partial?.truncated ?? false,
      ...(partial?.peer !== undefined ? { peer: partial.peer } : {}),
      ...(partial?.ordinal !== undefined ? { ordinal: partial.ordinal } : {}),
      damage,
    };
  }

  /** Writes bytes the journal cannot use to `<segment>.<offset>.corrupt`, unless already there. */
  private async keepAside(segment: Segment, offset: number, bytes: Buffer): Promise<string> {
    const path = `${segment.path}.${offset}.corrupt`;
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return path;
  }

  // ---- closing ----------------------------------------------------------------------------

  /** Writes and fsyncs what is queued, writes the checkpoint, and releases the journal. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await this.writing;
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = null;
    }
    try {
      if (!this.failure) await this.syncActive();
    } finally {
      await this.active?.handle.close().catch((err: unknown) => log.warn({ err, dir: this.dir }, 'closing the journal segment failed'));
      this.active = null;
      await this.checkpointing?.catch(() => undefined);
      await this.exclusive(async () => {
        for (const { handle } of this.readHandles.values()) await handle.close().catch(() => undefined);
        this.readHandles.clear();
      });
      this.wake();
      this.releaseLock();
    }
  }

  private async syncDir(): Promise<void> {
    if (process.platform === 'win32') return; // directories cannot be opened for fsync there
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
