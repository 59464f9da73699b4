import type { Database } from './database.js';
import {
  applyRollups,
  rollupDeltas,
  storeCalls,
  storeEvents,
  type BatchResult,
  type CallToStore,
  type EventToStore,
  type JournalEntry,
} from './calls-repository.js';
import type { RawRecordStatus } from './schema.js';

export interface JournalFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  failedOnly?: boolean;
}

export interface JournalRow {
  id: number;
  source: string;
  collectorId: string | null;
  receivedAt: Date;
  sequence: number;
  ordinal: number;
  raw: string;
  status: RawRecordStatus;
}

export class RawRecordsRepository {
  constructor(private readonly database: Database) {}

  /** The switch's journal in id order, a page at a time. */
  async page(switchId: number, filter: JournalFilter, afterId: number, limit: number): Promise<JournalRow[]> {
    let q = this.database.db
      .selectFrom('raw_records')
      .select(['id', 'source', 'collector_id', 'received_at', 'sequence', 'ordinal', 'raw', 'status'])
      .where('switch_id', '=', switchId)
      .where('id', '>', String(afterId))
      .orderBy('id')
      .limit(limit);
    if (filter.from) q = q.where('received_at', '>=', filter.from);
    if (filter.to) q = q.where('received_at', '<', filter.to);
    if (filter.failedOnly) q = q.where('status', '=', 'failed');
    const rows = await q.execute();
    return rows.map((r) => ({
      id: Number(r.id),
      source: r.source,
      collectorId: r.collector_id,
      receivedAt: r.received_at,
      sequence: Number(r.sequence),
      ordinal: r.ordinal,
      raw: r.raw,
      status: r.status,
    }));
  }

  /**
   * Replaces what earlier parses made of these journal records: their calls (and the rollups those
   * counted) and events go, the new parse results come, all in one transaction.
   */
  async replaceParses(switchId: number, entries: JournalEntry[], calls: CallToStore[], events: EventToStore[]): Promise<BatchResult & { removed: number }> {
    const ids = entries.map((e) => e.id!);
    return this.database.transaction(async (tx) => {
      const removed = await tx.query<{ tenant_id: string; started_at: Date | string; direction: string; disposition: string; talk_seconds: number; duration_seconds: number }>(
        `DELETE FROM calls WHERE switch_id = $1 AND raw_record_ids && $2::bigint[]
         RETURNING tenant_id, started_at, direction, disposition, talk_seconds, duration_seconds`,
        [switchId, ids],
      );
      await applyRollups(
        tx,
        rollupDeltas(
          removed.map((r) => ({
            switchId,
            tenantId: r.tenant_id,
            startedAtMs: new Date(r.started_at).getTime(),
            direction: r.direction,
            disposition: r.disposition,
            talkSeconds: r.talk_seconds,
            durationSeconds: r.duration_seconds,
          })),
          -1,
        ),
      );
      await tx.query('DELETE FROM call_events WHERE switch_id = $1 AND raw_record_id = ANY($2::bigint[])', [switchId, ids]);
      await tx.query(
        `UPDATE raw_records r SET status = u.status, error = u.error
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, status, error) WHERE r.id = u.id`,
        [ids, entries.map((e) => e.status), entries.map((e) => e.error)],
      );
      await storeEvents(tx, events);
      const result = await storeCalls(tx, calls);
      return { ...result, removed: removed.length };
    });
  }
}
