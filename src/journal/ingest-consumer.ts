import { logger } from '../core/log.js';
import type { Ingestor, IngestStream } from '../pipeline/ingest.js';
import type { JournalRecord } from './codec.js';
import type { JournalConsumer } from './pump.js';

// The pump's consumer on a collector that writes to the database itself: each journal batch is
// parsed into the Ingestor and the promise resolves when the Ingestor's transaction committed
// (`ingestor.flush()`). When a write fails, the Ingestor keeps the parsed records queued and
// writes them on the next flush; so a batch the pump hands again is not parsed a second time
// (that would give identical records new dedupe ordinals and store a redial twice).

const log = logger('journal');

export interface IngestConsumerOptions {
  /**
   * A record whose journal bytes were damaged on disk. It must not be parsed (its digits may be
   * altered). Default: logged as an error naming the sequence and the file the bytes were kept in.
   */
  onDamaged?: (record: JournalRecord) => void;
}

/**
 * `streamFor` maps a journal record's source to the stream of its switch and source; it must
 * always return one (a record whose source is no longer configured still has to be stored).
 */
export function ingestConsumer(ingestor: Ingestor, streamFor: (record: JournalRecord) => IngestStream, options: IngestConsumerOptions = {}): JournalConsumer {
  const onDamaged = options.onDamaged ?? ((r: JournalRecord) => log.error({ sequence: r.sequence, source: r.source, damage: r.damage }, 'a journal record was damaged on disk; not parsed'));
  let parsedThrough = 0;
  return async (batch) => {
    for (const r of batch) {
      if (r.sequence <= parsedThrough) continue; // parsed before a failed write: the Ingestor holds it
      parsedThrough = r.sequence;
      if (r.damage !== undefined) {
        onDamaged(r);
        continue;
      }
      const wait = streamFor(r).ingest(r.text, {
        sequence: r.sequence,
        receivedAt: new Date(r.receivedAt),
        ...(r.truncated ? { truncatedAt: Buffer.byteLength(r.text, 'utf8') } : {}),
        ...(r.ordinal !== undefined ? { ordinal: r.ordinal } : {}),
      });
      if (wait) await wait;
    }
    await ingestor.flush();
  };
}
