import { logger } from '../core/log.js';
import { OrdinalTracker, recordTextHash } from '../pipeline/dedupe.js';
import type { RecordJournal } from '../journal/journal.js';
import type { ReceivedRecord } from '../transports/transport.js';
import type { RecordDelivery, SourceRef } from './sources.js';

// Sources → the journal on disk. Every record is appended before anything else happens to it; the
// pump takes it from there. The journal's `source` of a record is "<switch>/<stream>": the switch
// name has no "/", so the pump's consumer can tell the switch again.

const log = logger('collector');

/** Appends in flight per stream before the source is made to wait: group commit for one reader. */
const IN_FLIGHT = 256;
/** …and across all streams, so that 500 PBXs sending at once cannot fill the memory. */
const TOTAL_IN_FLIGHT = 4096;

export function journalSource(switchName: string, stream: string): string {
  return `${switchName}/${stream}`;
}

export function splitJournalSource(source: string): { switchName: string; stream: string } {
  const slash = source.indexOf('/');
  return { switchName: source.slice(0, slash), stream: source.slice(slash + 1) };
}

interface StreamState {
  ordinals: OrdinalTracker | null;
  inFlight: Promise<number>[];
  last: Promise<number> | null;
}

export class JournalDelivery implements RecordDelivery {
  private readonly streams = new Map<string, StreamState>();
  private total = 0;
  private readonly roomWaiters: (() => void)[] = [];

  /**
   * `onEnded` is told, once every record of a stream that ended (a connection closed, a file read)
   * has been appended, the sequence of its last record.
   */
  constructor(
    private readonly journal: RecordJournal,
    private readonly onEnded: (source: string, lastSequence: number) => void,
  ) {}

  record(ref: SourceRef, stream: string, record: ReceivedRecord): Promise<void> | undefined {
    const source = journalSource(ref.sw.row.name, stream);
    let state = this.streams.get(source);
    if (!state) {
      // Record-hash formats tell identical records apart by their ordinal: worked out here, before
      // the journal, so that a record handed on again after a crash keeps the one it was stored with.
      state = { ordinals: ref.sw.format.dedupe === 'record-hash' ? new OrdinalTracker() : null, inFlight: [], last: null };
      this.streams.set(source, state);
    }
    const receivedAt = Date.now();
    const appended = this.journal.append({
      source,
      receivedAt,
      text: record.text,
      ...(record.truncated ? { truncated: true } : {}),
      peer: record.peer,
      ...(state.ordinals ? { ordinal: state.ordinals.next(recordTextHash(record.text), receivedAt) } : {}),
    });
    state.last = appended;
    state.inFlight.push(appended);
    this.total++;
    const settled = (): void => {
      const i = state.inFlight.indexOf(appended);
      if (i >= 0) state.inFlight.splice(i, 1);
      this.total--;
      if (this.total <= TOTAL_IN_FLIGHT / 2) for (const wake of this.roomWaiters.splice(0)) wake();
    };
    appended.then(settled, settled);
    if (this.total >= TOTAL_IN_FLIGHT) {
      appended.catch((err: unknown) => log.error({ err, source }, 'a record could not be journaled'));
      return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (state.inFlight.length < IN_FLIGHT) {
      appended.catch((err: unknown) => log.error({ err, source }, 'a record could not be journaled'));
      return undefined;
    }
    // Enough in flight: the source waits for the oldest (and sees the journal's failure, if any).
    return state.inFlight[0]!.then(() => undefined);
  }

  ended(ref: SourceRef, stream: string): void {
    const source = journalSource(ref.sw.row.name, stream);
    const state = this.streams.get(source);
    this.streams.delete(source);
    state?.last?.then(
      (sequence) => this.onEnded(source, sequence),
      () => undefined,
    );
  }

  /** Resolves when every append made so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.streams.values()].flatMap((s) => s.inFlight));
  }
}
