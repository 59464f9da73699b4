import type { Config } from '../config/schema.js';
import { CalltrailError } from '../core/errors.js';
import { logger } from '../core/log.js';
import type { JournalRecord } from '../journal/journal.js';
import type { JournalConsumer } from '../journal/pump.js';
import type { SwitchRuntime } from '../pipeline/ingest.js';
import type { IngestBatch } from '../server/routes/ingest.js';
import { collectorId, journalStatus, runJournaledSources, type JournalStatus, type SourceStatus } from './collector.js';
import { splitJournalSource } from './journaled.js';

// A site collector: no database of its own. Records are journaled on disk as everywhere, and the
// pump ships journal batches to the central server's POST /api/ingest. The server answers once it
// has committed them; only then does the journal's checkpoint move. Until then (server down, a
// network outage) the backlog stays on disk and drains by itself when the server is back.

const log = logger('collector.push');

const REQUEST_TIMEOUT_MS = 60_000;

export interface PushTarget {
  /** The server's base URL, e.g. https://calltrail.example.com */
  url: string;
  token: string;
}

export interface PushOptions {
  /** The site's health, sent with each batch. */
  status?: () => Record<string, unknown>;
  /**
   * Journal sources of streams that ended here (a connection closed) and whose records the server
   * has acknowledged. They go with the next request, and leave the set once the server took it.
   */
  ended?: Set<string>;
}

function endedStream(source: string): { switch: string; stream: string } {
  const { switchName, stream } = splitJournalSource(source);
  return { switch: switchName, stream };
}

/** The pump's consumer: each journal batch is one POST. Called with no records, it sends the ended streams alone. */
export function pushConsumer(collector: string, target: PushTarget, options: PushOptions = {}): JournalConsumer {
  const endpoint = new URL('/api/ingest', target.url).toString();
  return async (batch: JournalRecord[]) => {
    const records: IngestBatch['records'] = [];
    for (const r of batch) {
      if (r.damage !== undefined) {
        // Its bytes are kept aside on disk (the .corrupt file the journal names); digits from a
        // damaged record must not be sent on as a call.
        log.error({ sequence: r.sequence, source: r.source, damage: r.damage }, 'a journal record was damaged on disk; not sent');
        continue;
      }
      const { switchName, stream } = splitJournalSource(r.source);
      records.push({
        sequence: r.sequence,
        switch: switchName,
        stream,
        receivedAt: r.receivedAt,
        text: r.text,
        truncated: r.truncated,
        ...(r.ordinal !== undefined ? { ordinal: r.ordinal } : {}),
      });
    }
    const ended = [...(options.ended ?? [])];
    if (records.length === 0 && ended.length === 0) return;
    const body: IngestBatch = {
      collector,
      records,
      ...(ended.length > 0 ? { ended: ended.map(endedStream) } : {}),
      ...(options.status ? { status: options.status() } : {}),
    };
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new CalltrailError('TRANSPORT', `cannot reach ${endpoint}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // not our error shape: the text as it came
      }
      throw new CalltrailError('TRANSPORT', `${endpoint} answered ${response.status}: ${message}`);
    }
    for (const source of ended) options.ended!.delete(source);
  };
}

export interface PushCollector {
  id: string;
  status(): { journal: JournalStatus; sources: SourceStatus[] };
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startPushCollector(config: Config, switches: Map<string, SwitchRuntime>, target: PushTarget): Promise<PushCollector> {
  const id = collectorId(config);
  let running: Awaited<ReturnType<typeof runJournaledSources>> | null = null;
  const status = (): Record<string, unknown> => (running ? { journal: journalStatus(running), sources: running.sourceStatus() } : {});
  const ended = new Set<string>();
  const consumer = pushConsumer(id, target, { status, ended });
  // Ended streams are told at once, one request at a time (a reconnect storm makes no request
  // storm); when the server cannot be reached, they go with the next batch.
  let telling = false;
  const tellEnded = (): void => {
    if (telling || ended.size === 0) return;
    telling = true;
    consumer([]).then(
      () => {
        telling = false;
        tellEnded(); // streams that ended meanwhile
      },
      () => (telling = false),
    );
  };
  running = await runJournaledSources(config, switches, consumer, {
    onEnded: async (source) => {
      ended.add(source);
      tellEnded();
    },
  });
  return {
    id,
    status: () => ({ journal: journalStatus(running!), sources: running!.sourceStatus() }),
    done: running.done,
    stop: () => running!.stop(),
  };
}
