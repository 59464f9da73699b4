import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pgliteEngine, postgresEngine, type TestStore } from '../../test/support/engines.js';
import { panasonic } from '../formats/panasonic/format.js';
import { Ingestor } from '../pipeline/ingest.js';
import { SwitchesRepository } from '../store/switches-repository.js';
import { ingestConsumer } from './ingest-consumer.js';
import { RecordJournal, type JournalRecord } from './journal.js';
import { JournalPump } from './pump.js';

// The journal drained into a real store through the Ingestor, across a database outage.

const LINES = [
  '  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD',
  '-------------------------------------------------------------------------------',
  "01/14/26 09:02AM 201   01 <I>02079460123            0'05 00:03'12",
  // Someone redialling: three identical lines are three calls.
  "01/14/26 09:05AM 202   02 01632960001                    00:01'45 4711",
  "01/14/26 09:05AM 202   02 01632960001                    00:01'45 4711",
  "01/14/26 09:05AM 202   02 01632960001                    00:01'45 4711",
  'garbage that is no call record',
  "01/14/26 09:30AM 207   04 9011441632960002               00:02'00            FW",
];

for (const engine of [pgliteEngine, postgresEngine]) {
  describe.runIf(engine.available)(`journal → Ingestor (${engine.name})`, () => {
    let store: TestStore;
    let dir: string;

    // One store for the file (opening and migrating one takes most of the time); each test has its own switch.
    beforeAll(async () => {
      store = await engine.create();
    }, 60_000);

    afterAll(async () => {
      await store?.cleanup();
    });

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'calltrail-journal-ingest-'));
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(dir + '-overlap', { recursive: true, force: true });
    });

    // Without overlap one batch of all eight; with it batches of three, the next parsed while one is written.
    for (const overlap of [false, true]) {
      it(`stores every record once through a database outage: no call twice, no raw record twice${overlap ? ' (overlapping batches)' : ''}`, async () => {
        const { database } = store;
        const row = await new SwitchesRepository(database).upsert({ name: overlap ? 'pbx-outage-overlap' : 'pbx-outage', tenant: 'default', format: 'panasonic', timezone: 'Europe/London', dialPlan: {} });
        const ingestor = new Ingestor(database, { collectorId: 'site-1', maxBatch: 10_000, maxDelayMs: 60_000 });
        const stream = ingestor.openStream({ row, format: panasonic, dialPlan: {} }, 'pbx/serial');

        // The database refuses the first two transactions.
        let refusals = 2;
        const transaction = database.transaction.bind(database);
        database.transaction = async (fn) => {
          if (refusals > 0) {
            refusals--;
            throw new Error('connection refused');
          }
          return transaction(fn);
        };
        const restore = (): void => {
          database.transaction = transaction;
        };

        const journal = await RecordJournal.open(overlap ? dir + '-overlap' : dir);
        for (const [i, text] of LINES.entries()) await journal.append({ source: 'pbx/serial', receivedAt: Date.UTC(2026, 0, 14, 9, 0, i), text });
        const batches: number[][] = [];
        const consume = ingestConsumer(ingestor, () => stream);
        const pump = new JournalPump(
          journal,
          (batch: JournalRecord[]) => {
            batches.push(batch.map((r) => r.sequence));
            return consume(batch);
          },
          { retry: { firstMs: 5, maxMs: 20 }, ...(overlap ? { maxBatch: 3, overlap: true } : {}) },
        ).start();
        await pump.whenDelivered(LINES.length);
        await pump.stop();
        await journal.close();
        restore();

        expect(refusals).toBe(0);
        if (overlap) {
          // Each batch committed in order; a failed one handed again whole.
          expect(batches[0]).toEqual([1, 2, 3]);
          expect([...new Set(batches.map((b) => b.join(',')))]).toEqual(['1,2,3', '4,5,6', '7,8']);
        } else {
          expect(batches).toEqual([1, 2, 3].map(() => [1, 2, 3, 4, 5, 6, 7, 8])); // the same batch, three times
        }
        const calls = await database.db.selectFrom('calls').select(['raw', 'extension']).where('switch_id', '=', row.id).orderBy('started_at').orderBy('raw').execute();
        expect(calls.map((c) => c.extension)).toEqual(['201', '202', '202', '202', '207']);
        const raw = await database.db.selectFrom('raw_records').select(['sequence', 'status', 'collector_id']).where('switch_id', '=', row.id).orderBy('sequence').execute();
        expect(raw.map((r) => [Number(r.sequence), r.status, r.collector_id])).toEqual([
          [1, 'skipped', 'site-1'],
          [2, 'skipped', 'site-1'],
          [7, 'failed', 'site-1'],
        ]);
        expect(ingestor.stats).toMatchObject({ records: 8, inserted: 5, failed: 1, skipped: 2 });
      }, 60_000);
    }

    it('does not parse a damaged record, and reports it', async () => {
      const { database } = store;
      const row = await new SwitchesRepository(database).upsert({ name: 'pbx-damage', tenant: 'default', format: 'panasonic', timezone: 'Europe/London', dialPlan: {} });
      const ingestor = new Ingestor(database, { collectorId: 'site-1' });
      const stream = ingestor.openStream({ row, format: panasonic, dialPlan: {} }, 'pbx/serial');
      const damaged: number[] = [];
      const consume = ingestConsumer(ingestor, () => stream, { onDamaged: (r) => damaged.push(r.sequence) });
      await consume([
        { sequence: 1, source: 'pbx/serial', receivedAt: Date.UTC(2026, 0, 14, 9), text: LINES[2]!, truncated: false },
        { sequence: 2, source: 'pbx/serial', receivedAt: Date.UTC(2026, 0, 14, 9), text: LINES[3]!, truncated: false, damage: 'journal bytes damaged on disk (checksum mismatch)' },
      ]);
      expect(damaged).toEqual([2]);
      expect(ingestor.stats).toMatchObject({ records: 1, inserted: 1 });
      const calls = await database.db.selectFrom('calls').select('extension').where('switch_id', '=', row.id).execute();
      expect(calls).toEqual([{ extension: '201' }]);
    }, 60_000);
  });
}
