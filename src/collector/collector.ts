import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { logger } from '../core/log.js';
import type { CallBus } from '../pipeline/bus.js';
import { Ingestor, type RecordTrace, type SwitchRuntime } from '../pipeline/ingest.js';
import { sourceName } from '../pipeline/switches.js';
import type { Database } from '../store/database.js';
import { readFileRecords } from '../transports/file.js';

// Runs the configured sources of every switch into one ingestor. This issue brings the file source;
// the collectors issue adds serial, TCP, UDP and HTTP push behind the same loop.

const log = logger('collector');

export interface RunningCollector {
  id: string;
  ingestor: Ingestor;
  stop(): Promise<void>;
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

  const abort = new AbortController();
  const running: Promise<void>[] = [];
  for (const swConfig of config.switches) {
    const sw = switches.get(swConfig.name)!;
    swConfig.sources.forEach((source, index) => {
      const name = sourceName(source, index);
      if (!source.enabled) return;
      if (source.type !== 'file') {
        log.warn({ switch: sw.row.name, source: name, type: source.type }, 'this source type is not available in this version yet; it is not running');
        return;
      }
      const stream = ingestor.openStream(sw, name);
      running.push(
        readFileRecords(
          source.path,
          (record) => stream.ingest(record.text, { sequence: record.line, ...(record.truncated ? { truncatedAt: record.text.length } : {}) }),
          {
            framing: sw.format.framing,
            ...(source.maxRecordBytes ? { maxRecordBytes: source.maxRecordBytes } : {}),
            ...(source.follow ? { follow: { signal: abort.signal } } : {}),
          },
        )
          .then(({ records }) => log.info({ switch: sw.row.name, source: name, records }, 'file read'))
          .catch((err: unknown) => log.error({ err, switch: sw.row.name, source: name }, 'file source failed')),
      );
    });
  }

  const heartbeat = setInterval(() => {
    database.db
      .updateTable('collectors')
      .set({ last_seen_at: new Date(), status: JSON.stringify({ ...ingestor.stats }) })
      .where('id', '=', id)
      .execute()
      .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
  }, 30_000);
  heartbeat.unref();

  return {
    id,
    ingestor,
    async stop() {
      clearInterval(heartbeat);
      abort.abort();
      await Promise.all(running);
      await ingestor.close();
    },
  };
}
