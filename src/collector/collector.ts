import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { logger } from '../core/log.js';
import type { CallBus } from '../pipeline/bus.js';
import { Ingestor, type IngestStream, type RecordTrace, type SwitchRuntime } from '../pipeline/ingest.js';
import { sourceName } from '../pipeline/switches.js';
import type { Database } from '../store/database.js';
import type { TransportStatus } from '../transports/transport.js';
import { startSources, type RecordDelivery, type RunningSource, type SourceRef } from './sources.js';

// Runs the configured sources of every switch into one ingestor: one parse stream per source, or
// per connection for listeners (parsers keep per-stream state such as a CSV header).

const log = logger('collector');

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
  sources: (TransportStatus & { switch: string; source: string; type: string })[];
}

export interface CollectorOptions {
  bus?: CallBus;
  onRecord?: (trace: RecordTrace) => void;
  onCommit?: (inserted: number, duplicates: number) => void;
}

export async function startCollector(
  database: Database,
  config: Config,
  switches: Map<string, SwitchRuntime>,
  options: CollectorOptions = {},
): Promise<RunningCollector> {
  const id = config.collector.id ?? hostname();
  const ingestor = new Ingestor(database, {
    collectorId: id,
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

  const streams = new Map<string, IngestStream>();
  const streamKey = (ref: SourceRef, stream: string): string => `${ref.sw.row.name}\u0000${stream}`;
  const delivery: RecordDelivery = {
    record(ref, stream, record) {
      const key = streamKey(ref, stream);
      let s = streams.get(key);
      if (!s) {
        s = ingestor.openStream(ref.sw, stream);
        streams.set(key, s);
      }
      return s.ingest(record.text, record.truncated ? { truncatedAt: record.text.length } : {});
    },
    ended(ref, stream) {
      const key = streamKey(ref, stream);
      const s = streams.get(key);
      streams.delete(key);
      s?.end().catch((err: unknown) => log.error({ err, switch: ref.sw.row.name, stream }, 'closing a stream failed'));
    },
  };
  const refs: SourceRef[] = config.switches.flatMap((swConfig) =>
    swConfig.sources.map((source, index) => ({ sw: switches.get(swConfig.name)!, source, name: sourceName(source, index) })),
  );
  const sources = await startSources(refs, delivery);

  function collectorStatus(): CollectorStatus {
    return {
      ingest: { ...ingestor.stats },
      sources: sources.flatMap((s) => s.refs.map((ref) => ({ switch: ref.sw.row.name, source: ref.name, type: ref.source.type, ...s.status() }))),
    };
  }

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
    sources,
    status: collectorStatus,
    /** Resolves when every finite source (files without follow) has been read. */
    done: Promise.all(sources.map((s) => s.done)).then(() => undefined),
    async stop() {
      clearInterval(heartbeat);
      await Promise.all(sources.map((s) => s.stop()));
      await Promise.all([...streams.values()].map((s) => s.end()));
      streams.clear();
      await ingestor.close();
    },
  };
}
