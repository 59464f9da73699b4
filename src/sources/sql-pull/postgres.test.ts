import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type SqlEngine } from './engines.js';
import { startSqlPull } from './pull.js';
import {
  ASTERISK_CDR_PGSQL,
  asteriskRows,
  Collected,
  idle,
  insertAsterisk,
  insertKamailio,
  kamailioRow,
  kamailioTables,
  POSTGRES_SKIP_NOTE,
  POSTGRES_URL,
  pullOnce,
  Relay,
  run,
  scratchPostgres,
  waitFor,
  type Scratch,
} from './test-support.js';

// The SQL pull source against a real PostgreSQL server — what CDR-Pusher could not read.

if (!POSTGRES_URL) {
  describe('sql pull from PostgreSQL', () => {
    it.skip(POSTGRES_SKIP_NOTE, () => undefined);
  });
} else {
  const serverUrl: string = POSTGRES_URL;
  let scratch: Scratch;
  let db: SqlEngine;
  let dir: string;

  beforeAll(async () => {
    scratch = await scratchPostgres(serverUrl);
    db = await openEngine({ engine: 'postgres', url: scratch.url });
  });

  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'calltrail-sql-pull-pg-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  describe('sql pull from PostgreSQL', () => {
    it('reads an Asterisk cdr_pgsql table: timestamptz with its offset, bigint seconds as text', async () => {
      await run(db, ASTERISK_CDR_PGSQL);
      const rows = asteriskRows(600);
      // cdr_pgsql writes local time with the server's offset; this server's session zone is UTC.
      await insertAsterisk(db, rows.map((r) => ({ ...r, calldate: `${r.calldate}+00` })));
      const got = await pullOnce({ type: 'sql', engine: 'postgres', url: scratch.url, preset: 'asterisk-cdr', batchSize: 128 }, dir);
      const session = (await db.query('SHOW TimeZone'))[0]!.TimeZone;
      expect(session).toBe('Etc/UTC');
      expect(got.records.map((r) => r.key)).toEqual(rows.map((r) => `${r.calldate}+00|${r.uniqueid}`));
      const first = JSON.parse(got.records[0]!.text);
      expect([first.startedAt, first.durationSeconds, first.talkSeconds, first['extra.amaflags']]).toEqual(['2026-01-15 08:00:00+00', '15', '10', '3']);
      const calls = got.calls('Europe/Berlin');
      expect(calls[0]).toMatchObject({
        callId: '1768464000.1000',
        startedAt: '2026-01-15T09:00:00+01:00',
        endedAt: '2026-01-15T09:00:15+01:00',
        talkSeconds: 10,
        durationSeconds: 15,
        disposition: 'answered',
      });
      expect(calls.map((c) => c.callId)).toEqual(rows.map((r) => r.uniqueid));
      await run(db, 'DROP TABLE cdr');
    });

    it('reads Kamailio acc and missed_calls (the kamctl PostgreSQL schema)', async () => {
      await run(db, kamailioTables('postgres'));
      await insertKamailio(db, 'acc', [
        kamailioRow('INVITE', 'k1@pbx', '200', 'OK', '2026-06-01 09:00:00', '1001', '1002'),
        kamailioRow('INVITE', 'k2@pbx', '603', 'Decline', '2026-06-01 09:00:10', '1001', '1003'),
        kamailioRow('BYE', 'k1@pbx', '200', 'OK', '2026-06-01 09:00:40', '1002', '1001'),
      ]);
      await insertKamailio(db, 'missed_calls', [kamailioRow('INVITE', 'k3@pbx', '408', 'Request Timeout', '2026-06-01 09:01:00', '1001', '1004')]);
      const acc = await pullOnce({ type: 'sql', engine: 'postgres', url: scratch.url, preset: 'kamailio-acc' }, dir);
      expect(acc.calls().map((c) => [c.callId, c.startedAt, c.endedAt, c.talkSeconds, c.disposition, c.hangupCause])).toEqual([
        ['k2@pbx', '2026-06-01T09:00:10+01:00', '2026-06-01T09:00:10+01:00', 0, 'rejected', 21],
        ['k1@pbx', '2026-06-01T09:00:00+01:00', '2026-06-01T09:00:40+01:00', 40, 'answered', 16],
      ]);
      const missed = await pullOnce({ type: 'sql', engine: 'postgres', url: scratch.url, preset: 'kamailio-missed-calls' }, dir);
      expect(missed.calls().map((c) => [c.callId, c.disposition, c.hangupCause])).toEqual([['k3@pbx', 'no_answer', 102]]);
      await run(db, 'DROP TABLE acc;\nDROP TABLE missed_calls');
    });

    it('survives the server becoming unreachable mid-run, and a table dropped and created again', async () => {
      await run(db, 'CREATE TABLE calls_log (id bigserial PRIMARY KEY, calldate timestamp NOT NULL, billsec int NOT NULL)');
      const add = (n: number): Promise<unknown> =>
        db.query(`INSERT INTO calls_log (calldate, billsec) SELECT '2026-01-15 12:00:00', g FROM generate_series(1, ${n}) g`);
      await add(150);
      const server = new URL(serverUrl);
      const relay = new Relay(server.hostname, Number(server.port));
      await relay.open();
      const collected = new Collected();
      const pull = startSqlPull(
        {
          type: 'sql', engine: 'postgres', url: relay.urlFor(scratch.url), table: 'calls_log', key: 'id', batchSize: 50, pollSeconds: 0.02,
          mapping: { startedAt: 'calldate', durationSeconds: 'billsec', talkSeconds: 'billsec' },
        },
        collected.sink,
        { stateDir: dir, backoff: { initialMs: 20, maxMs: 100 } },
      );
      try {
        await idle(pull);
        await relay.cut();
        await add(20);
        await waitFor('the outage', () => pull.status().lastError !== null);
        expect(pull.status().lastError).toMatch(/^calls_log: (connection refused|Connection terminated unexpectedly)/);
        await relay.open();
        await waitFor('170 rows', () => collected.records.length >= 170);
        await idle(pull);
        // Rotation: dropped and created again, its ids restarting at 1 (in one transaction, so no poll sees the table missing).
        await run(db, 'BEGIN;\nDROP TABLE calls_log;\nCREATE TABLE calls_log (id bigserial PRIMARY KEY, calldate timestamp NOT NULL, billsec int NOT NULL)');
        await add(5);
        await run(db, 'COMMIT');
        await waitFor('the new table', () => collected.records.length >= 175);
        await idle(pull);
        expect(pull.status()).toMatchObject({ outages: 1, rotations: 1, lastError: null, highWater: { key: '5', tie: null } });
        expect(collected.records.map((r) => r.key)).toEqual([...Array.from({ length: 170 }, (_, i) => String(i + 1)), '1', '2', '3', '4', '5']);
      } finally {
        await pull.stop();
        await relay.cut();
      }
    });
  });
}
