import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../core/log.js';
import type { JournalRecord, RecordJournal } from './journal.js';

// Moves journaled records to where they are stored for good: the Ingestor (all-in-one and central
// collectors) or the server's ingest endpoint (site collectors). One batch is in flight at a time,
// so records arrive in journal order. A batch is committed in the journal only after the consumer
// resolved it; a failed batch is handed again, whole and unchanged, after a backoff, for ever: an
// outage turns into a backlog on disk that drains by itself, oldest first, when the consumer is
// back. Delivery is at least once (a crash between the consumer storing a batch and the
// checkpoint reaching disk hands that batch again on restart), so the consumer must store
// idempotently, as the store does with its dedupe keys.

const log = logger('journal-pump');

/**
 * Stores a batch durably and resolves only then. If it throws, nothing of the batch may count as
 * stored: the same batch comes again.
 */
export type JournalConsumer = (batch: JournalRecord[]) => Promise<void>;

export interface PumpOptions {
  /** Records per batch. Default 1000. */
  maxBatch?: number;
  /** Journal bytes per batch. Default 4 MiB. */
  maxBatchBytes?: number;
  /**
   * How long a batch that is not full waits for more records. Default 0: hand over at once what
   * is there; batches still grow under load, since records gather while a batch is being stored.
   */
  maxDelayMs?: number;
  /** Backoff after a failed batch: doubles from firstMs up to maxMs, with jitter. */
  retry?: { firstMs?: number; maxMs?: number };
  /**
   * Hand the next batch while the previous one is still being stored (at most two in flight,
   * committed in order). Only for a consumer that takes batches in the order it is given them
   * and may be given a batch again after a later one (ingestConsumer); not for HTTP push.
   */
  overlap?: boolean;
  /**
   * Makes what the consumer stored durable before the checkpoint moves past it (the embedded
   * database writes without fsync: Database.sync). Runs beside the next batch. Absent: a batch the
   * consumer resolved is durable.
   */
  durable?: () => Promise<void>;
}

interface InFlight {
  batch: JournalRecord[];
  stored: Promise<void>;
}

export interface PumpStats {
  delivered: number;
  batches: number;
  failures: number;
  /** Set while a batch keeps failing: the last error and since when. */
  failing: { error: string; since: Date; attempts: number } | null;
}

export class JournalPump {
  readonly stats: PumpStats = { delivered: 0, batches: 0, failures: 0, failing: null };
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxDelayMs: number;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly overlap: boolean;
  private readonly durable: () => Promise<void>;
  /** The latest batch's sync and checkpoint write (each comes after the one before). */
  private checkpointing: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private delivered: number;
  private readonly deliveredWaiters = new Set<() => void>();

  constructor(
    private readonly journal: RecordJournal,
    private readonly consumer: JournalConsumer,
    options: PumpOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxDelayMs = options.maxDelayMs ?? 0;
    this.firstRetryMs = options.retry?.firstMs ?? 100;
    this.maxRetryMs = options.retry?.maxMs ?? 30_000;
    this.overlap = options.overlap ?? false;
    this.durable = options.durable ?? (() => Promise.resolve());
    this.delivered = journal.committedSequence;
  }

  /** Starts delivering from the journal's checkpoint. */
  start(): this {
    this.running ??= this.run().catch((err: unknown) => log.error({ err }, 'the journal pump stopped on an unexpected error'));
    return this;
  }

  /**
   * Stops after the batch in flight (if its consumer call resolves, it is committed; a retry
   * wait is cut short). What is not delivered stays in the journal for the next start.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await this.checkpointing;
    this.wakeDelivered();
  }

  /** The last sequence the consumer has stored. */
  get deliveredSequence(): number {
    return this.delivered;
  }

  /** Resolves once every record through `sequence` has been stored, or the pump stops. */
  whenDelivered(sequence: number): Promise<void> {
    if (this.delivered >= sequence || this.abort.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.delivered >= sequence || this.abort.signal.aborted) {
          this.deliveredWaiters.delete(check);
          resolve();
        }
      };
      this.deliveredWaiters.add(check);
    });
  }

  private wakeDelivered(): void {
    for (const check of [...this.deliveredWaiters]) check();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    /** The last sequence handed to the consumer (with overlap, one batch ahead of what is stored). */
    let handed = this.journal.committedSequence;
    let previous: InFlight | null = null;
    while (!signal.aborted && !this.journal.isClosed) {
      const batch = await this.retrying('reading the journal', () => this.nextBatch(handed));
      if (!batch) break;
      if (batch.length === 0) {
        if (previous) {
          if (!(await this.settle(previous))) return;
          previous = null;
          continue;
        }
        await this.journal.waitForAppend(handed, { signal });
        continue;
      }
      const current: InFlight = { batch, stored: this.consumer(batch) };
      current.stored.catch(() => undefined); // seen by settle
      handed = batch.at(-1)!.sequence;
      if (previous && !(await this.settle(previous))) return;
      previous = null;
      // Without overlap the batch is stored before the next is read; with it, the next batch is
      // parsed while this one is written, and they are committed in order.
      if (this.overlap) previous = current;
      else if (!(await this.settle(current))) return;
    }
    if (previous) await this.settle(previous);
  }

  /** Waits for a batch handed earlier to be stored (handing it again until it is), then commits it. */
  private async settle(flight: InFlight): Promise<boolean> {
    const ok = await flight.stored.then(
      () => true,
      () => false,
    );
    if (!ok) {
      // The consumer takes a batch again whole; the first failure counts as the first attempt.
      this.stats.failures++;
      const stored = await this.retrying('storing a batch', () => this.consumer(flight.batch), flight.batch);
      if (stored === null) return false;
    }
    const last = flight.batch.at(-1)!.sequence;
    this.delivered = last;
    this.stats.delivered += flight.batch.length;
    this.stats.batches++;
    this.wakeDelivered();
    // Not awaited: the next batch goes out while the store syncs and the checkpoint is written. A
    // checkpoint that does not reach disk only means these records are delivered again after a restart.
    this.checkpointing = this.durable()
      .then(() => this.journal.commit(last))
      .catch((err: unknown) => log.warn({ err }, 'writing the journal checkpoint failed'));
    return true;
  }

  /** Reads a batch; when it is not full, waits up to maxDelayMs for more. */
  private async nextBatch(after: number): Promise<JournalRecord[]> {
    const batch = await this.journal.readBatch(after, this.maxBatch, this.maxBatchBytes);
    if (batch.length === 0 || batch.length >= this.maxBatch || this.maxDelayMs <= 0) return batch;
    const deadline = Date.now() + this.maxDelayMs;
    while (batch.length < this.maxBatch && !this.abort.signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const last = batch.at(-1)!.sequence;
      await this.journal.waitForAppend(last, { signal: this.abort.signal, timeoutMs: left });
      const more = await this.journal.readBatch(last, this.maxBatch - batch.length, this.maxBatchBytes);
      if (more.length === 0) {
        if (this.journal.writtenSequence > last) break; // full by bytes
        continue;
      }
      batch.push(...more);
    }
    return batch;
  }

  /**
   * Runs the step until it succeeds, backing off between failures (doubling, capped, with
   * jitter so that many collectors coming back do not retry in step). Null when stopped first.
   */
  private async retrying<T>(what: string, step: () => Promise<T>, batch?: JournalRecord[]): Promise<T | null> {
    const signal = this.abort.signal;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted && attempt > 1) return null;
      try {
        const value = await step();
        if (this.stats.failing) {
          log.info({ what, attempts: this.stats.failing.attempts, since: this.stats.failing.since }, 'the journal pump is delivering again');
          this.stats.failing = null;
        }
        return value;
      } catch (err) {
        this.stats.failures++;
        const message = err instanceof Error ? err.message : String(err);
        this.stats.failing = { error: message, since: this.stats.failing?.since ?? new Date(), attempts: attempt };
        const ceiling = Math.min(this.maxRetryMs, this.firstRetryMs * 2 ** Math.min(attempt - 1, 30));
        const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        const context = batch ? { first: batch[0]!.sequence, last: batch.at(-1)!.sequence, records: batch.length } : {};
        (attempt === 1 ? log.warn.bind(log) : log.debug.bind(log))({ err, what, attempt, retryInMs: delay, ...context }, `${what} failed; retrying`);
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return null;
      }
    }
  }
}
