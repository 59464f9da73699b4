import { detachLegs } from './call-legs.js';
import { deleteCalls, writeBatchIn, type Batch, type BatchResult, type LegJoin } from './calls-repository.js';
import type { Database } from './database.js';
import type { RawRecordStatus } from './schema.js';

// The journal as reprocess reads it: raw_records (records that made no call of their own) and the
// records journaled in calls' rows.

export interface JournalFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  failedOnly?: boolean;
}

/** A journaled record with where it lives: `raw` (raw_records id), `call` (calls id) or `leg` (call_legs id). */
export interface JournalRecord {
  ref: { kind: 'raw'; id: number } | { kind: 'call' | 'leg'; id: string };
  source: string;
  collectorId: string | null;
  receivedAt: Date;
  sequence: number;
  ordinal: number;
  raw: string;
  status: RawRecordStatus;
}

export class JournalRepository {
  constructor(private readonly database: Database) {}

  /** The ids of the switch's raw_records, in journal order. */
  async rawRecordIds(switchId: number, filter: JournalFilter): Promise<number[]> {
    let q = this.database.db.selectFrom('raw_records').select('id').where('switch_id', '=', switchId).orderBy('id');
    if (filter.from) q = q.where('received_at', '>=', filter.from);
    if (filter.to) q = q.where('received_at', '<', filter.to);
    if (filter.failedOnly) q = q.where('status', '=', 'failed');
    return (await q.execute()).map((r) => Number(r.id));
  }

  /**
   * The ids of the switch's calls parsed from one record each: not those assembled from events or
   * joined from legs, which are remade from their records.
   */
  async singleRecordCallIds(switchId: number, filter: JournalFilter): Promise<string[]> {
    let q = this.database.db
      .selectFrom('calls')
      .select('id')
      .where('switch_id', '=', switchId)
      .where('event_record_ids', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('call_legs').select('call_legs.id').whereRef('call_legs.logical_call_id', '=', 'calls.id'))))
      .orderBy('received_at')
      .orderBy('sequence');
    if (filter.from) q = q.where('received_at', '>=', filter.from);
    if (filter.to) q = q.where('received_at', '<', filter.to);
    return (await q.execute()).map((r) => r.id);
  }

  /** The ids of the switch's legs (multi-leg formats), in journal order. */
  async legIds(switchId: number, filter: JournalFilter): Promise<string[]> {
    let q = this.database.db.selectFrom('call_legs').select('id').where('switch_id', '=', switchId).orderBy('received_at').orderBy('sequence');
    if (filter.from) q = q.where('received_at', '>=', filter.from);
    if (filter.to) q = q.where('received_at', '<', filter.to);
    return (await q.execute()).map((r) => r.id);
  }

  async loadRawRecords(ids: number[]): Promise<JournalRecord[]> {
    const rows = await this.database.db
      .selectFrom('raw_records')
      .select(['id', 'source', 'collector_id', 'received_at', 'sequence', 'ordinal', 'raw', 'status'])
      .where('id', 'in', ids.map(String))
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      ref: { kind: 'raw', id: Number(r.id) },
      source: r.source,
      collectorId: r.collector_id,
      receivedAt: r.received_at,
      sequence: Number(r.sequence),
      ordinal: r.ordinal,
      raw: r.raw,
      status: r.status,
    }));
  }

  /** The records kept in calls' (or legs') own rows. */
  async loadCalls(ids: string[], kind: 'call' | 'leg' = 'call'): Promise<JournalRecord[]> {
    const rows = await this.database.db
      .selectFrom(kind === 'call' ? 'calls' : 'call_legs')
      .select(['id', 'source', 'received_at', 'sequence', 'ordinal', 'raw'])
      .where('id', 'in', ids)
      .orderBy('received_at')
      .orderBy('sequence')
      .execute();
    return rows.map((r) => ({
      ref: { kind, id: r.id },
      source: r.source,
      collectorId: null,
      receivedAt: r.received_at,
      sequence: Number(r.sequence),
      ordinal: r.ordinal,
      raw: r.raw,
      status: 'parsed',
    }));
  }

  /**
   * Replaces what earlier parses made of these journal records — their calls (and the rollups those
   * counted), events and raw_records rows — with the new batch, in one transaction.
   */
  async replace(switchId: number, old: JournalRecord[], batch: Batch, legJoin?: LegJoin): Promise<BatchResult & { removed: number }> {
    const rawIds = old.flatMap((r) => (r.ref.kind === 'raw' ? [r.ref.id] : []));
    const callIds = old.flatMap((r) => (r.ref.kind === 'call' ? [r.ref.id] : []));
    const legIds = old.flatMap((r) => (r.ref.kind === 'leg' ? [r.ref.id] : []));
    if (legIds.length > 0 && !legJoin) throw new Error('replacing legs needs the switch\'s leg join');
    return this.database.transaction(async (tx) => {
      const legs = legJoin ? await detachLegs(tx, switchId, legIds, legJoin) : { removed: 0, rest: [] };
      const removed = await deleteCalls(tx, 'switch_id = $1 AND (id = ANY($2::uuid[]) OR event_record_ids && $3::bigint[])', [switchId, callIds, rawIds]);
      if (rawIds.length > 0) {
        await tx.query('DELETE FROM call_events WHERE switch_id = $1 AND raw_record_id = ANY($2::bigint[])', [switchId, rawIds]);
        await tx.query('DELETE FROM raw_records WHERE id = ANY($1::bigint[])', [rawIds]);
      }
      const result = await writeBatchIn(tx, batch, legs.rest);
      return { ...result, removed: removed + legs.removed };
    });
  }
}
