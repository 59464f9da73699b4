import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialPlan } from '../src/config/schema.js';
import type { Call } from '../src/core/call.js';
import { frame, parseAll } from '../src/formats/conformance.js';
import { EXAMPLE_COLUMNS, freeswitchCsvFormat } from '../src/formats/freeswitch-csv/format.js';
import { mergeLegs } from '../src/formats/legs.js';
import { getFormat } from '../src/formats/registry.js';
import { CallBus } from '../src/pipeline/bus.js';
import { Ingestor, type SwitchRuntime } from '../src/pipeline/ingest.js';
import { normalizeCall } from '../src/pipeline/normalize.js';
import { reprocessSwitch } from '../src/pipeline/reprocess.js';
import { buildApp } from '../src/server/app.js';
import { CallsRepository, type StoredCall } from '../src/store/calls-repository.js';
import type { Database } from '../src/store/database.js';
import { ALL_TENANTS } from '../src/store/scope.js';
import { SwitchesRepository } from '../src/store/switches-repository.js';
import { ENGINES, type TestStore } from './support/engines.js';

// Multi-leg CDRs in the store: each leg is kept, and the call its legs make up is a row of calls,
// whatever order and batches the legs arrive in; rollups count calls, not legs.

const GB = { country: 'GB' } as DialPlan;
const FIXTURE = new URL('../src/formats/freeswitch-csv/fixtures/Master.csv', import.meta.url);
const LINES = frame(getFormat('freeswitch-csv'), readFileSync(FIXTURE, 'utf8'));
const CTX = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

async function makeSwitch(database: Database, name: string, format = getFormat('freeswitch-csv')): Promise<SwitchRuntime> {
  const row = await new SwitchesRepository(database).upsert({ name, tenant: 'default', format: 'freeswitch-csv', timezone: 'Europe/London', dialPlan: GB });
  return { row, format, dialPlan: GB };
}

/** Records are received one second apart, in the order the tests hand them over. */
let receivedMs = Date.parse('2026-01-20T10:00:00Z');

async function ingest(database: Database, sw: SwitchRuntime, lines: string[], maxBatch: number, bus?: CallBus) {
  const ingestor = new Ingestor(database, { maxBatch, ...(bus ? { bus } : {}) });
  const stream = ingestor.openStream(sw, 'Master.csv');
  for (const line of lines) await stream.ingest(line, { receivedAt: new Date((receivedMs += 1000)) });
  await ingestor.close();
  return ingestor.stats;
}

async function count(database: Database, sql: string, params: unknown[]): Promise<number> {
  const [row] = await database.transaction((tx) => tx.query<{ n: string }>(sql, params));
  return Number(row!.n);
}

async function storedCalls(database: Database, switchName: string): Promise<StoredCall[]> {
  return new CallsRepository(database).page(ALL_TENANTS, { switchName }, null, 1000);
}

/** A call without what depends on the order its legs were read in. */
const comparable = (c: Call) => ({ ...c, raw: c.raw.split('\n').sort().join('\n'), extra: { ...c.extra, legCallIds: String(c.extra.legCallIds ?? '').split(' ').sort().join(' ') } });

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`call legs in the store on ${engine.name}`, () => {
    let store: TestStore;
    let database: Database;
    beforeAll(async () => {
      store = await engine.create();
      database = store.database;
    });
    afterAll(async () => store?.cleanup());

    it('keeps every leg and stores each call once, joined, however the legs arrive', async () => {
      // The same 13 legs: all in one batch, and one batch each in reverse order.
      const together = await makeSwitch(database, 'fs-together');
      const apart = await makeSwitch(database, 'fs-apart');
      expect(await ingest(database, together, LINES, 1000)).toMatchObject({ records: 13, inserted: 13, failed: 0 });
      expect(await ingest(database, apart, [...LINES].reverse(), 1)).toMatchObject({ records: 13, inserted: 13, failed: 0 });

      // What `parse --merge-legs` makes of the file, normalized as the store does.
      const expected = mergeLegs(parseAll(getFormat('freeswitch-csv'), LINES.join('\n'), CTX).calls, getFormat('freeswitch-csv').legKeys!).map((l) =>
        normalizeCall(l.call, GB),
      );
      expect(expected).toHaveLength(10);
      for (const sw of [together, apart]) {
        expect(await count(database, 'SELECT count(*) AS n FROM call_legs WHERE switch_id = $1', [sw.row.id])).toBe(13);
        const calls = await storedCalls(database, sw.row.name);
        expect(calls.map((c) => comparable(c.call))).toEqual(expected.map(comparable));
        // Rollups count the 10 calls and their talk, not the legs.
        const [rollup] = await database.transaction((tx) =>
          tx.query<{ calls: string; talk: string }>('SELECT sum(calls)::text AS calls, sum(talk_seconds)::text AS talk FROM call_rollups_hourly WHERE switch_id = $1', [sw.row.id]),
        );
        expect(rollup).toEqual({ calls: '10', talk: String(expected.reduce((s, c) => s + c.talkSeconds, 0)) });
      }
      const bridged = (await storedCalls(database, 'fs-apart')).find((c) => c.call.callerNumber === '1000')!;
      expect(bridged.call).toMatchObject({ talkSeconds: 300, durationSeconds: 309, disposition: 'answered', extra: expect.objectContaining({ legs: 2 }) });
    });

    it('stores a leg seen again (a second collector, a re-import) once, and the call stays as it was', async () => {
      const sw = await makeSwitch(database, 'fs-again');
      await ingest(database, sw, LINES, 5);
      const before = await storedCalls(database, sw.row.name);
      expect(await ingest(database, sw, LINES, 3)).toMatchObject({ records: 13, inserted: 0, duplicates: 13 });
      expect(await storedCalls(database, sw.row.name)).toEqual(before);
      expect(await count(database, 'SELECT count(*) AS n FROM call_legs WHERE switch_id = $1', [sw.row.id])).toBe(13);
    });

    it('makes one call of two stored calls when a later leg names both, and lists its legs in the API', async () => {
      // A custom template with originating_leg_uuid: the last leg points at both earlier ones.
      const format = freeswitchCsvFormat([...EXAMPLE_COLUMNS, 'originating_leg_uuid']);
      const sw = await makeSwitch(database, 'fs-chain', format);
      const leg = (uuid: string, bleg: string, origin: string, start: string, answer: string, end: string, billsec: number) =>
        `"Alice","1000","02079460123","default","${start}","${answer}","${end}","${billsec + 5}","${billsec}","NORMAL_CLEARING","${uuid}","${bleg}","","PCMA","PCMA","${origin}"`;
      const p = leg('00000000-0000-4000-8000-0000000000a1', '', '', '2026-01-15 08:00:00', '2026-01-15 08:00:05', '2026-01-15 08:01:05', 60);
      const q = leg('00000000-0000-4000-8000-0000000000a2', '', '', '2026-01-15 08:01:05', '2026-01-15 08:01:06', '2026-01-15 08:03:06', 120);
      const r = leg('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', '2026-01-15 08:00:00', '2026-01-15 08:00:05', '2026-01-15 08:03:06', 181);
      const bus = new CallBus();
      const published: string[] = [];
      bus.subscribe((batch) => published.push(...batch.map((c) => c.id)));
      await ingest(database, sw, [p, q], 1, bus);
      expect(await storedCalls(database, sw.row.name)).toHaveLength(2);
      const rollupCalls = () => count(database, 'SELECT coalesce(sum(calls), 0)::text AS n FROM call_rollups_hourly WHERE switch_id = $1', [sw.row.id]);
      expect(await rollupCalls()).toBe(2);

      await ingest(database, sw, [r], 1, bus);
      const calls = await storedCalls(database, sw.row.name);
      expect(calls).toHaveLength(1);
      const [call] = calls;
      // The joined call keeps the earliest call's id; the talk spans 08:00:05–08:03:06 once.
      expect(call!.id).toBe(published[0]);
      expect(call!.call).toMatchObject({ startedAt: '2026-01-15T08:00:00+00:00', endedAt: '2026-01-15T08:03:06+00:00', talkSeconds: 181, extra: expect.objectContaining({ legs: 3 }) });
      expect(published).toEqual([published[0], published[1], call!.id]);
      expect(await rollupCalls()).toBe(1);
      expect(await count(database, 'SELECT count(DISTINCT logical_call_id) AS n FROM leg_keys WHERE switch_id = $1', [sw.row.id])).toBe(1);

      const app = await buildApp({ database, bus: new CallBus(), version: 'test' });
      try {
        const res = await app.inject({ method: 'GET', url: `/api/calls/${call!.id}/legs` });
        expect(res.statusCode).toBe(200);
        const legs = (res.json() as { legs: { callId: string; talkSeconds: number }[] }).legs;
        expect(legs.map((l) => [l.callId, l.talkSeconds])).toEqual([
          ['00000000-0000-4000-8000-0000000000a1', 60],
          ['00000000-0000-4000-8000-0000000000a2', 120],
          ['00000000-0000-4000-8000-0000000000a3', 181],
        ]);
        expect((await app.inject({ method: 'GET', url: '/api/calls/nope/legs' })).statusCode).toBe(400);
      } finally {
        await app.close();
      }
    });

    it('reprocess parses the legs again and joins the same calls', async () => {
      const sw = await makeSwitch(database, 'fs-reprocess');
      await ingest(database, sw, LINES, 4);
      const before = await storedCalls(database, sw.row.name);
      const result = await reprocessSwitch(database, sw, {});
      expect(result).toMatchObject({ records: 13, removed: 13, inserted: 13, failed: 0 });
      expect((await storedCalls(database, sw.row.name)).map((c) => [c.id, c.call])).toEqual(before.map((c) => [c.id, c.call]));
      expect(await count(database, 'SELECT count(*) AS n FROM call_legs WHERE switch_id = $1', [sw.row.id])).toBe(13);
      expect(await count(database, 'SELECT sum(calls)::text AS n FROM call_rollups_hourly WHERE switch_id = $1', [sw.row.id])).toBe(10);
    });
  });
}
