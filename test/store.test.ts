import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalltrailError } from '../src/core/errors.js';
import { getFormat } from '../src/formats/registry.js';
import { Ingestor, type SwitchRuntime } from '../src/pipeline/ingest.js';
import { reprocessSwitch } from '../src/pipeline/reprocess.js';
import { CallsRepository } from '../src/store/calls-repository.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { currentVersion, latestVersion, migrate } from '../src/store/migrate.js';
import { ALL_TENANTS, tenantScope } from '../src/store/scope.js';
import { SwitchesRepository } from '../src/store/switches-repository.js';
import { ENGINES, pgliteEngine, type TestStore } from './support/engines.js';

const HEADER =
  'switch,cdr_source_type,callid,caller_id_number,caller_id_name,destination_number,dialcode,state,channel,starting_date,duration,billsec,progresssec,answersec,waitsec,hangup_cause_id,hangup_cause,direction,country_code,accountcode,buy_rate,buy_cost,sell_rate,sell_cost,extradata';
const row = (id: string, start: string, duration: number, billsec: number, cause = 16, direction = 2): string =>
  `127.0.0.1,1,${id},201,Alice,+442079460123,44,,,${start},${duration},${billsec},,,,${cause},,${direction},,,,,,,{}`;

async function makeSwitch(database: Database, name: string, opts: { tenant?: string; timezone?: string } = {}): Promise<SwitchRuntime> {
  const row = await new SwitchesRepository(database).upsert({
    name,
    tenant: opts.tenant ?? 'default',
    format: 'cdrstats-csv',
    timezone: opts.timezone ?? 'Europe/London',
    dialPlan: {},
  });
  return { row, format: getFormat('cdrstats-csv'), dialPlan: {} };
}

async function ingestLines(database: Database, sw: SwitchRuntime, lines: string[], collectorId: string | null = null) {
  const ingestor = new Ingestor(database, { collectorId, maxBatch: 3 });
  const stream = ingestor.openStream(sw, 'test');
  for (const line of lines) await stream.ingest(line);
  await ingestor.close();
  return ingestor.stats;
}

async function one<T>(database: Database, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await database.transaction((tx) => tx.query<T>(sql, params));
  return rows[0]!;
}

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`store on ${engine.name}`, () => {
    let store: TestStore;
    let database: Database;
    beforeAll(async () => {
      store = await engine.create();
      database = store.database;
    });
    afterAll(async () => store?.cleanup());

    it('is migrated to the latest version, and migrating again applies nothing', async () => {
      expect(await currentVersion(database)).toBe(latestVersion());
      expect(await migrate(database)).toEqual([]);
    });

    it('journals every record, stores each call once, and keeps the hourly rollup in step', async () => {
      const sw = await makeSwitch(database, 'hq');
      const lines = [
        HEADER,
        row('a1', '2026-03-02 09:15:00', 70, 60),
        row('a2', '2026-03-02 09:45:10', 20, 0, 17),
        'garbage,line',
        row('a3', '2026-03-02 10:05:00', 31, 30, 16, 1),
        row('a1', '2026-03-02 09:15:00', 70, 60), // the same call again
      ];
      const stats = await ingestLines(database, sw, lines);
      expect(stats).toMatchObject({ records: 6, inserted: 3, duplicates: 1, failed: 1, skipped: 1 });

      // Records that made a call are journaled in the call's row; the others in raw_records.
      const journal = await database.transaction((tx) =>
        tx.query<{ sequence: string; status: string; error: string | null; raw: string }>(
          'SELECT sequence::text, status, error, raw FROM raw_records WHERE switch_id = $1 ORDER BY id',
          [sw.row.id],
        ),
      );
      expect(journal).toEqual([
        { sequence: '1', status: 'skipped', error: null, raw: HEADER },
        { sequence: '4', status: 'failed', error: 'expected 25 fields, found 2', raw: 'garbage,line' },
      ]);
      const inCalls = await database.transaction((tx) =>
        tx.query<{ sequence: string; source: string }>('SELECT sequence::text, source FROM calls WHERE switch_id = $1 ORDER BY sequence', [sw.row.id]),
      );
      expect(inCalls).toEqual([
        { sequence: '2', source: 'test' },
        { sequence: '3', source: 'test' },
        { sequence: '5', source: 'test' },
      ]);

      const rollups = await database.transaction((tx) =>
        tx.query<{ hour: Date; direction: string; disposition: string; calls: number; answered: number; talk_seconds: string; duration_seconds: string }>(
          'SELECT hour, direction, disposition, calls, answered, talk_seconds::text, duration_seconds::text FROM call_rollups_hourly WHERE switch_id = $1 ORDER BY hour, disposition',
          [sw.row.id],
        ),
      );
      expect(rollups.map((r) => [new Date(r.hour).toISOString(), r.direction, r.disposition, r.calls, r.answered, r.talk_seconds, r.duration_seconds])).toEqual([
        ['2026-03-02T09:00:00.000Z', 'outbound', 'answered', 1, 1, '60', '70'],
        ['2026-03-02T09:00:00.000Z', 'outbound', 'busy', 1, 0, '0', '20'],
        ['2026-03-02T10:00:00.000Z', 'inbound', 'answered', 1, 1, '30', '31'],
      ]);

      const calls = new CallsRepository(database);
      const page = await calls.page(ALL_TENANTS, { switchName: 'hq' }, null, 10);
      expect(page.map((c) => [c.call.callId, c.call.startedAt, c.call.endedAt, c.call.calledNumber, c.call.raw])).toEqual([
        ['a1', '2026-03-02T09:15:00+00:00', '2026-03-02T09:16:10+00:00', '442079460123', lines[1]],
        ['a2', '2026-03-02T09:45:10+00:00', '2026-03-02T09:45:30+00:00', '442079460123', lines[2]],
        ['a3', '2026-03-02T10:05:00+00:00', '2026-03-02T10:05:31+00:00', '442079460123', lines[4]],
      ]);
    });

    it('stores a call seen by two collectors once, with a receipt from each', async () => {
      const sw = await makeSwitch(database, 'redundant');
      const lines = [row('r1', '2026-03-03 08:00:00', 10, 5), row('r2', '2026-03-03 08:01:00', 10, 5)];
      const first = await ingestLines(database, sw, lines, 'logger-1');
      const second = await ingestLines(database, sw, lines, 'logger-2');
      expect([first.inserted, first.duplicates, second.inserted, second.duplicates]).toEqual([2, 0, 0, 2]);
      const receipts = await database.transaction((tx) =>
        tx.query<{ call_id: string; collectors: string }>(
          `SELECT c.call_id, string_agg(r.collector_id, ',' ORDER BY r.collector_id) AS collectors
           FROM receipts r JOIN calls c ON c.id = r.call_id WHERE c.switch_id = $1 GROUP BY c.call_id ORDER BY c.call_id`,
          [sw.row.id],
        ),
      );
      expect(receipts).toEqual([
        { call_id: 'r1', collectors: 'logger-1,logger-2' },
        { call_id: 'r2', collectors: 'logger-1,logger-2' },
      ]);
    });

    it('removes a switch with everything stored for it, and nothing of another switch', async () => {
      const counts = async (switchId: number) =>
        one<Record<string, string>>(
          database,
          `SELECT (SELECT count(*) FROM calls WHERE switch_id = $1)::text AS calls,
                  (SELECT count(*) FROM raw_records WHERE switch_id = $1)::text AS raw,
                  (SELECT count(*) FROM call_rollups_hourly WHERE switch_id = $1)::text AS rollups,
                  (SELECT count(*) FROM sources WHERE switch_id = $1)::text AS sources,
                  (SELECT count(*) FROM receipts r JOIN calls c ON c.id = r.call_id WHERE c.switch_id = $1)::text AS receipts,
                  (SELECT count(*) FROM switches WHERE id = $1)::text AS switches`,
          [switchId],
        );
      const [gone, kept] = [await makeSwitch(database, 'to-remove'), await makeSwitch(database, 'to-keep')];
      for (const sw of [gone, kept]) {
        await new SwitchesRepository(database).syncSources(sw.row.id, [{ name: 'pbx', type: 'tcp-server', enabled: true, settings: {} }]);
        await ingestLines(database, sw, [HEADER, row(`${sw.row.name}-1`, '2026-05-01 08:00:00', 10, 5), row(`${sw.row.name}-2`, '2026-05-01 09:30:00', 20, 0, 19), 'junk'], 'logger-1');
      }
      const before = await counts(kept.row.id);
      expect(before).toEqual({ calls: '2', raw: '2', rollups: '2', sources: '1', receipts: '2', switches: '1' });
      expect(await counts(gone.row.id)).toEqual(before);

      expect(await new SwitchesRepository(database).remove(gone.row.id)).toBe(2);
      expect(await counts(gone.row.id)).toEqual({ calls: '0', raw: '0', rollups: '0', sources: '0', receipts: '0', switches: '0' });
      expect(await counts(kept.row.id)).toEqual(before);
      expect(await new SwitchesRepository(database).findByName(ALL_TENANTS, 'to-remove')).toBeNull();
    });

    it('keeps each switch\'s sources as configured', async () => {
      const sw = await makeSwitch(database, 'sourced');
      const repo = new SwitchesRepository(database);
      await repo.syncSources(sw.row.id, [
        { name: 'file-1', type: 'file', enabled: true, settings: { path: '/a.csv' } },
        { name: 'pbx-tcp', type: 'tcp-server', enabled: false, settings: { listen: '127.0.0.1:9000' } },
      ]);
      await repo.syncSources(sw.row.id, [{ name: 'file-1', type: 'file', enabled: true, settings: { path: '/b.csv' } }]);
      const rows = await database.db.selectFrom('sources').select(['name', 'type', 'enabled', 'settings']).where('switch_id', '=', sw.row.id).execute();
      expect(rows).toEqual([{ name: 'file-1', type: 'file', enabled: true, settings: { path: '/b.csv' } }]);
    });

    it('scopes reads to the tenant', async () => {
      const a = await makeSwitch(database, 'tenant-a-pbx', { tenant: 'tenant-a' });
      const b = await makeSwitch(database, 'tenant-b-pbx', { tenant: 'tenant-b' });
      await ingestLines(database, a, [row('ta', '2026-03-04 08:00:00', 10, 5)]);
      await ingestLines(database, b, [row('tb1', '2026-03-04 08:00:00', 10, 5), row('tb2', '2026-03-04 09:00:00', 10, 5)]);
      const calls = new CallsRepository(database);
      expect((await calls.page(tenantScope('tenant-a'), {}, null, 100)).map((c) => c.call.callId)).toEqual(['ta']);
      expect(await calls.count(tenantScope('tenant-b'))).toBe(2);
      expect(await calls.count(tenantScope('tenant-b'), { switchName: 'tenant-a-pbx' })).toBe(0);
      const switches = new SwitchesRepository(database);
      expect(await switches.findByName(tenantScope('tenant-b'), 'tenant-a-pbx')).toBeNull();
    });

    it('pages through calls in start order without skipping or repeating', async () => {
      const sw = await makeSwitch(database, 'paging');
      // Five calls starting in the same second, then more: the cursor must break ties by id.
      const lines = Array.from({ length: 23 }, (_, i) => row(`p${i}`, `2026-03-05 08:00:${String(i < 5 ? 0 : i).padStart(2, '0')}`, 10, 5));
      await ingestLines(database, sw, lines);
      const calls = new CallsRepository(database);
      const seen: string[] = [];
      let cursor = null;
      for (;;) {
        const page = await calls.page(ALL_TENANTS, { switchName: 'paging' }, cursor, 4);
        if (page.length === 0) break;
        seen.push(...page.map((c) => c.call.callId!));
        cursor = { startedAt: page.at(-1)!.startedAt, id: page.at(-1)!.id };
      }
      expect(seen.sort()).toEqual(lines.map((_, i) => `p${i}`).sort());
    });

    it('writes a batch whole or not at all', async () => {
      const sw = await makeSwitch(database, 'atomic');
      const before = await one<{ n: string }>(database, 'SELECT count(*)::text AS n FROM raw_records WHERE switch_id = $1', [sw.row.id]);
      const ingestor = new Ingestor(database, { maxBatch: 100 });
      const stream = ingestor.openStream(sw, 'test');
      stream.ingest('a header-like line that fails');
      stream.ingest(row('ok1', '2026-03-06 08:00:00', 10, 5));
      stream.ingest(row('ok2', '2026-03-06 08:01:00', 10, 5));
      // Sabotage: a call without the tenant the table requires (NOT NULL) makes the COPY fail inside the transaction.
      const pending = (ingestor as unknown as { batch: { calls: { tenantId: string | null }[] } }).batch.calls;
      pending[1]!.tenantId = null;
      await expect(ingestor.flush()).rejects.toThrow();
      const after = await one<{ n: string }>(database, 'SELECT count(*)::text AS n FROM raw_records WHERE switch_id = $1', [sw.row.id]);
      expect(after.n).toBe(before.n); // the failed record's journal row went back with the calls
      expect(await new CallsRepository(database).count(ALL_TENANTS, { switchName: 'atomic' })).toBe(0);
      // The batch stays queued: once the bad value is mended it goes in whole.
      pending[1]!.tenantId = 'default';
      await ingestor.close();
      expect(await new CallsRepository(database).count(ALL_TENANTS, { switchName: 'atomic' })).toBe(2);
      const journaled = await one<{ n: string }>(database, 'SELECT count(*)::text AS n FROM raw_records WHERE switch_id = $1', [sw.row.id]);
      expect(Number(journaled.n)).toBe(Number(before.n) + 1);
    });

    it('stores records handed again (a journal replay, a retried batch) once', async () => {
      const sw = await makeSwitch(database, 'replayed');
      const records = ['junk that fails', row('rp1', '2026-03-07 08:00:00', 10, 5), 'more junk', row('rp2', '2026-03-07 08:01:00', 10, 5)];
      const deliver = async (sequences: number[]) => {
        const ingestor = new Ingestor(database, { collectorId: 'site-1', maxBatch: 100 });
        const stream = ingestor.openStream(sw, 'tcp-server-1');
        sequences.forEach((sequence) => stream.ingest(records[sequence - 1]!, { sequence }));
        await ingestor.close();
        return ingestor.stats;
      };
      expect(await deliver([1, 2, 3])).toMatchObject({ records: 3, inserted: 1, failed: 2 });
      // After a crash the journal hands on everything after its checkpoint again, and more.
      expect(await deliver([2, 3, 4])).toMatchObject({ records: 3, inserted: 1, duplicates: 1, failed: 1 });
      const journaled = await one<{ n: string }>(database, "SELECT count(*)::text AS n FROM raw_records WHERE switch_id = $1 AND status = 'failed'", [sw.row.id]);
      expect(journaled.n).toBe('2');
      expect(await new CallsRepository(database).count(ALL_TENANTS, { switchName: 'replayed' })).toBe(2);
      // Another collector's copy of a failed record is its own receipt of it, kept too.
      const other = new Ingestor(database, { collectorId: 'site-2', maxBatch: 100 });
      other.openStream(sw, 'tcp-server-1').ingest(records[0]!, { sequence: 1 });
      await other.close();
      const all = await one<{ n: string }>(database, "SELECT count(*)::text AS n FROM raw_records WHERE switch_id = $1 AND status = 'failed'", [sw.row.id]);
      expect(all.n).toBe('3');
    });

    it('reprocesses the journal: failed records get a second chance and rollups follow the calls', async () => {
      const sw = await makeSwitch(database, 'reparse', { timezone: 'UTC' });
      await ingestLines(database, sw, [row('x1', '2026-03-07 08:00:00', 100, 90), row('x2', '2026-03-07 08:30:00', 10, 0, 19)]);
      // The switch's clock was in New York all along: fix the setting and reprocess.
      const fixed = await new SwitchesRepository(database).upsert({ name: 'reparse', tenant: 'default', format: 'cdrstats-csv', timezone: 'America/New_York', dialPlan: {} });
      const result = await reprocessSwitch(database, { ...sw, row: fixed }, {});
      expect(result).toEqual({ records: 2, removed: 2, inserted: 2, duplicates: 0, failed: 0 });
      const page = await new CallsRepository(database).page(ALL_TENANTS, { switchName: 'reparse' }, null, 10);
      expect(page.map((c) => c.call.startedAt)).toEqual(['2026-03-07T08:00:00-05:00', '2026-03-07T08:30:00-05:00']);
      const rollups = await database.transaction((tx) =>
        tx.query<{ hour: Date; disposition: string; calls: number }>(
          'SELECT hour, disposition, calls FROM call_rollups_hourly WHERE switch_id = $1 ORDER BY hour, disposition',
          [sw.row.id],
        ),
      );
      expect(rollups.map((r) => [new Date(r.hour).toISOString(), r.disposition, r.calls])).toEqual([
        ['2026-03-07T13:00:00.000Z', 'answered', 1],
        ['2026-03-07T13:00:00.000Z', 'no_answer', 1],
      ]);
    });

    it('assembles event formats: events journaled and kept, the call pointing at them, reprocess remaking it', async () => {
      const row = await new SwitchesRepository(database).upsert({ name: 'ipsmdr', tenant: 'default', format: 'mitel-ipsmdr', timezone: 'Europe/London', dialPlan: {} });
      const sw: SwitchRuntime = { row, format: getFormat('mitel-ipsmdr'), dialPlan: {} };
      const lines = readFileSync('src/formats/mitel-ipsmdr/fixtures/seed-002.txt', 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
      const stats = await ingestLines(database, sw, lines);
      expect(stats).toMatchObject({ records: lines.length, events: lines.length, inserted: 4, failed: 0 });
      const calls = await database.transaction((tx) =>
        tx.query<{ n: number; events: number }>(
          'SELECT cardinality(event_record_ids) AS n, (SELECT count(*)::int FROM call_events e WHERE e.raw_record_id = ANY(c.event_record_ids)) AS events FROM calls c WHERE switch_id = $1 ORDER BY started_at',
          [row.id],
        ),
      );
      expect(calls.reduce((sum, c) => sum + c.n, 0)).toBe(lines.length);
      expect(calls.every((c) => c.n === c.events)).toBe(true);
      const before = await new CallsRepository(database).page(ALL_TENANTS, { switchName: 'ipsmdr' }, null, 10);
      const again = await reprocessSwitch(database, sw, {});
      expect(again).toMatchObject({ records: lines.length, removed: 4, inserted: 4, failed: 0 });
      const after = await new CallsRepository(database).page(ALL_TENANTS, { switchName: 'ipsmdr' }, null, 10);
      expect(after.map((c) => c.call)).toEqual(before.map((c) => c.call));
    });

    it('keeps identical records that are separate calls apart by their ordinal', async () => {
      // A record-hash format: three identical lines in one stream are three calls; a second
      // collector's copy of the same stream adds none.
      const cdrstats = getFormat('cdrstats-csv');
      const hashFormat = { ...cdrstats, id: 'cdrstats-csv', dedupe: 'record-hash' as const };
      const sw = { ...(await makeSwitch(database, 'redial')), format: hashFormat };
      const line = row('same', '2026-03-08 08:00:00', 10, 0, 17);
      const first = await ingestLines(database, sw, [line, line, line], 'logger-1');
      const second = await ingestLines(database, sw, [line, line + '   ', line], 'logger-2');
      expect([first.inserted, first.duplicates, second.inserted, second.duplicates]).toEqual([3, 0, 0, 3]);
    });
  });
}

describe('store guards', () => {
  it('refuses a second process on the same embedded data directory, naming the owner', async () => {
    const store = await pgliteEngine.create();
    try {
      const dir = store.cliArgs[1]!;
      const err = await openDatabase({ data: dir, purpose: 'second' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CalltrailError);
      expect((err as CalltrailError).code).toBe('DATA_DIR_LOCKED');
      expect((err as CalltrailError).message).toContain(`is in use by process ${process.pid}`);
    } finally {
      await store.cleanup();
    }
  });

  it('makes a new embedded database aside and moves it into place, over the leftovers of a start cut off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-new-data-'));
    try {
      mkdirSync(join(dir, 'pgdata.partial'));
      writeFileSync(join(dir, 'pgdata.partial', 'PG_VERSION'), 'half');
      const database = await openDatabase({ data: dir });
      try {
        expect(await migrate(database)).toEqual([1, 2, 3, 4]);
        expect((await database.transaction((tx) => tx.query<{ shared_buffers: string }>('SHOW shared_buffers')))[0]).toEqual({ shared_buffers: '32MB' });
      } finally {
        await database.close();
      }
      expect(readdirSync(dir).sort()).toEqual(['pgdata']);
      expect(readFileSync(join(dir, 'pgdata', 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says clearly when PostgreSQL is unreachable, without the password', async () => {
    const err = await openDatabase({ url: 'postgres://calltrail:s3cret@127.0.0.1:9/nowhere' }).catch((e: unknown) => e);
    expect((err as CalltrailError).code).toBe('DATABASE_UNREACHABLE');
    expect((err as CalltrailError).message).toMatch(/^cannot connect to postgres:\/\/calltrail:\*\*\*@127\.0\.0\.1:9\/nowhere: .*ECONNREFUSED/);
    expect((err as CalltrailError).message).not.toContain('s3cret');
  });
});
