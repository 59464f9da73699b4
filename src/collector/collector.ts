import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { logger } from '../core/log.js';
import type { CallBus } from '../pipeline/bus.js';
import { Ingestor, type IngestStream, type RecordTrace, type SwitchRuntime } from '../pipeline/ingest.js';
import { runtimeOf, sourceName } from '../pipeline/switches.js';
import type { Database } from '../store/database.js';
import { ingestConsumer } from '../journal/ingest-consumer.js';
import { RecordJournal, type JournalRecord } from '../journal/journal.js';
import { JournalPump, type JournalConsumer } from '../journal/pump.js';
import { SwitchesRepository } from '../store/switches-repository.js';
import { ALL_TENANTS } from '../store/scope.js';
import { hasFormat } from '../formats/registry.js';
import type { TransportStatus } from '../transports/transport.js';
import { JournalDelivery, splitJournalSource } from './journaled.js';
import { RecordsPerMinute } from './records-per-minute.js';
import { startSources, type RunningSource, type SourceRef } from './sources.js';

// Runs the configured sources of every switch: each record is appended to the journal on disk
// first, then the pump parses journal batches into the Ingestor, one transaction per batch, and
// checkpoints what was committed. One parse stream per source, or per connection for listeners
// (parsers keep per-stream state such as a CSV header).

const log = logger('collector');

/** What every collector runs: sources → journal → pump → a consumer. */
export interface RunningSources {
  id: string;
  journal: RecordJournal;
  pump: JournalPump;
  sources: RunningSource[];
  /** Resolves when every finite source (files without follow) has been read and delivered. */
  done: Promise<void>;
  /** Sources stop, appends settle, the pump stops after the batch in flight, the journal closes. */
  stop(): Promise<void>;
  sourceStatus(): SourceStatus[];
}

export type SourceStatus = TransportStatus & { switch: string; source: string; type: string; recordsPerMinute: number };

export interface RunningCollector {
  id: string;
  ingestor: Ingestor;
  sources: RunningSource[];
  status(): CollectorStatus;
  done: Promise<void>;
  stop(): Promise<void>;
}

/** What the heartbeat records and the API shows of a collector. */
export interface CollectorStatus {
  ingest: Ingestor['stats'];
  journal: JournalStatus;
  sources: SourceStatus[];
}

export interface JournalStatus {
  dir: string;
  lastSequence: number;
  committedSequence: number;
  /** Records journaled and not yet stored (or, on a site collector, not yet acknowledged). */
  backlog: number;
  pump: JournalPump['stats'];
}

export interface CollectorOptions {
  bus?: CallBus;
  onRecord?: (trace: RecordTrace) => void;
  onCommit?: (inserted: number, duplicates: number) => void;
}

export function collectorId(config: Config): string {
  return config.collector.id ?? hostname();
}

export function journalStatus(running: RunningSources): JournalStatus {
  const { journal, pump } = running;
  const { lastSequence, committedSequence } = journal;
  return { dir: journal.dir, lastSequence, committedSequence, backlog: lastSequence - committedSequence, pump: { ...pump.stats } };
}

/**
 * Opens the journal, starts the pump into `consumer` and then the sources. `onEnded` is told when
 * a stream ended (a connection closed, a file was read) and its records were all delivered.
 */
export async function runJournaledSources(
  config: Config,
  switches: Map<string, SwitchRuntime>,
  consumer: JournalConsumer,
  options: { overlap?: boolean; durable?: () => Promise<void>; onEnded?: (source: string) => Promise<void> } = {},
): Promise<RunningSources> {
  const onEnded = options.onEnded ?? (async () => undefined);
  const id = collectorId(config);
  const journalConfig = config.collector.journal;
  const journal = await RecordJournal.open(journalConfig.dir ?? join(config.data ?? 'data', 'journal', id), journalConfig);
  const pump = new JournalPump(journal, consumer, {
    maxBatch: config.collector.batchSize,
    overlap: options.overlap ?? false,
    ...(options.durable ? { durable: options.durable } : {}),
  }).start();
  const delivery = new JournalDelivery(journal, (source, lastSequence) => {
    void pump
      .whenDelivered(lastSequence)
      .then(() => onEnded(source))
      .catch((err: unknown) => log.error({ err, source }, 'closing a stream failed'));
  });
  const refs: SourceRef[] = config.switches.flatMap((swConfig) =>
    swConfig.sources.map((source, index) => ({ sw: switches.get(swConfig.name)!, source, name: sourceName(source, index) })),
  );
  const perMinute = new RecordsPerMinute(Date.now());
  const sources = await startSources(refs, delivery, join(config.data ?? 'data', 'sources', id));
  return {
    id,
    journal,
    pump,
    sources,
    done: Promise.all(sources.map((s) => s.done))
      .then(() => delivery.settled())
      .then(() => pump.whenDelivered(journal.lastSequence)),
    async stop() {
      await Promise.all(sources.map((s) => s.stop()));
      await delivery.settled();
      await pump.stop();
      await journal.close();
    },
    sourceStatus: () =>
      sources.flatMap((s) =>
        s.refs.map((ref) => {
          const status = s.status();
          const recordsPerMinute = perMinute.rate(`${ref.sw.row.name}/${ref.name}`, status.records);
          return { switch: ref.sw.row.name, source: ref.name, type: ref.source.type, ...status, recordsPerMinute };
        }),
      ),
  };
}

/** A collector that stores into the database itself (all-in-one, or a central collector). */
export async function startCollector(
  database: Database,
  config: Config,
  switches: Map<string, SwitchRuntime>,
  options: CollectorOptions = {},
): Promise<RunningCollector> {
  const id = collectorId(config);
  const batchSize = config.collector.batchSize;
  const ingestor = new Ingestor(database, {
    collectorId: id,
    // One transaction per pump batch: the Ingestor counts records and calls, so twice the batch.
    maxBatch: 2 * batchSize + 2,
    maxDelayMs: 60_000,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.onRecord ? { onRecord: options.onRecord } : {}),
    onCommit: (inserted, duplicates) => options.onCommit?.(inserted.length, duplicates),
  });
  const startedAt = new Date();
  await database.db
    .insertInto('collectors')
    .values({ id, hostname: hostname(), started_at: startedAt, last_seen_at: startedAt, status: '{}' })
    .onConflict((oc) => oc.column('id').doUpdateSet({ hostname: hostname(), started_at: startedAt, last_seen_at: startedAt }))
    .execute();

  // Journaled records of switches no longer in the config still go to their switch's row.
  const runtimes = new Map(switches);
  for (const row of await new SwitchesRepository(database).list(ALL_TENANTS)) {
    if (!runtimes.has(row.name) && hasFormat(row.format)) runtimes.set(row.name, runtimeOf(row));
  }
  const streams = new Map<string, IngestStream>();
  const streamFor = (record: JournalRecord): IngestStream => {
    let stream = streams.get(record.source);
    if (!stream) {
      const { switchName, stream: name } = splitJournalSource(record.source);
      const sw = runtimes.get(switchName);
      // Thrown, the batch is retried (and logged) until the switch is configured again: kept, not lost.
      if (!sw) throw new Error(`journaled records of switch "${switchName}", which is not configured (add it back to store them)`);
      stream = ingestor.openStream(sw, name);
      streams.set(record.source, stream);
    }
    return stream;
  };
  const running = await runJournaledSources(config, switches, ingestConsumer(ingestor, streamFor), {
    // The next batch is parsed while the previous one is written.
    overlap: true,
    durable: () => database.sync(),
    onEnded: async (source) => {
      // Its records are in: the parse stream ends (an assembler hands over the calls it still holds).
      const stream = streams.get(source);
      streams.delete(source);
      if (stream) {
        await stream.end();
        await ingestor.flush();
      }
    },
  });

  const collectorStatus = (): CollectorStatus => ({ ingest: { ...ingestor.stats }, journal: journalStatus(running), sources: running.sourceStatus() });
  const heartbeat = setInterval(() => {
    database.db
      .updateTable('collectors')
      .set({ last_seen_at: new Date(), status: JSON.stringify(collectorStatus()) })
      .where('id', '=', id)
      .execute()
      .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
  }, 30_000);
  heartbeat.unref();

  return {
    id,
    ingestor,
    sources: running.sources,
    status: collectorStatus,
    done: running.done,
    async stop() {
      clearInterval(heartbeat);
      await running.stop();
      await ingestor.close();
    },
  };
}
