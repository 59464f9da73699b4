import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSqlPull } from './pull.js';
import { asteriskRows, Collected, idle, pullOnce, waitFor, ASTERISK_COLUMNS } from './test-support.js';

// The SQL pull source on SQLite files laid out as the switches write them.

let dir: string;
let dbPath: string;
let stateDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-sql-pull-'));
  dbPath = join(dir, 'cdr.db');
  stateDir = join(dir, 'state');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sqlite(script?: string): Sqlite.Database {
  const db = new Sqlite(dbPath);
  if (script) db.exec(script);
  return db;
}

// mod_cdr_sqlite's default table (no id column).
const FREESWITCH_TABLE = `CREATE TABLE cdr (
    caller_id_name VARCHAR, caller_id_number VARCHAR, destination_number VARCHAR, context VARCHAR,
    start_stamp DATETIME, answer_stamp DATETIME, end_stamp DATETIME, duration INTEGER, billsec INTEGER,
    hangup_cause VARCHAR, uuid VARCHAR, bleg_uuid VARCHAR, account_code VARCHAR)`;

// Asterisk cdr_sqlite3_custom: AcctId INTEGER PRIMARY KEY, then the configured columns, all text.
const ASTERISK_SQLITE3_TABLE = `CREATE TABLE cdr (AcctId INTEGER PRIMARY KEY, calldate, clid, dcontext, channel, dstchannel,
    lastapp, lastdata, source, destination, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, test)`;

// Asterisk's cdr table without an id (as cdr_odbc / cdr_adaptive_odbc write it to SQLite).
const ASTERISK_TABLE = `CREATE TABLE cdr (calldate DATETIME NOT NULL, clid TEXT, src TEXT, dst TEXT, dcontext TEXT, channel TEXT,
    dstchannel TEXT, lastapp TEXT, lastdata TEXT, duration INTEGER, billsec INTEGER, disposition TEXT, amaflags INTEGER,
    accountcode TEXT, uniqueid TEXT, userfield TEXT, linkedid TEXT, peeraccount TEXT, sequence INTEGER)`;

function insertAsteriskSqlite(db: Sqlite.Database, rows: ReturnType<typeof asteriskRows>): void {
  const stmt = db.prepare(`INSERT INTO cdr (${ASTERISK_COLUMNS.join(', ')}) VALUES (${ASTERISK_COLUMNS.map((c) => '@' + c).join(', ')})`);
  db.transaction(() => rows.forEach((r) => stmt.run(r)))();
}

describe('sql pull from SQLite', () => {
  it('reads FreeSWITCH mod_cdr_sqlite rows in rowid order into calls', async () => {
    const db = sqlite(FREESWITCH_TABLE);
    const insert = db.prepare('INSERT INTO cdr VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)');
    insert.run('ACME LTD', '02079460999', '1001', 'public', '2026-01-15 08:00:05', '2026-01-15 08:00:11', '2026-01-15 08:02:11', 126, 120, 'NORMAL_CLEARING', 'fs-0001', 'fs-0002', '');
    insert.run('Desk 1002', '1002', '00441614960000', 'default', '2026-01-15 08:05:00', '', '2026-01-15 08:05:20', 20, 0, 'ORIGINATOR_CANCEL', 'fs-0003', '', '77');
    insert.run('Desk 1002', '1002', '1003', 'default', '2026-01-15 08:06:00', null, '2026-01-15 08:06:04', 4, 0, 'USER_BUSY', 'fs-0004', null, null);
    db.close();

    const got = await pullOnce({ type: 'sql', engine: 'sqlite', path: dbPath, preset: 'freeswitch-cdr-sqlite', batchSize: 2 }, stateDir);
    expect(got.records.map((r) => r.key)).toEqual(['1', '2', '3']);
    expect(got.records[0]!.text).toBe(
      '{"callerName":"ACME LTD","callerNumber":"02079460999","dialedNumber":"1001","extra.context":"public","startedAt":"2026-01-15 08:00:05",' +
        '"answeredAt":"2026-01-15 08:00:11","endedAt":"2026-01-15 08:02:11","durationSeconds":126,"talkSeconds":120,"disposition":"NORMAL_CLEARING",' +
        '"callId":"fs-0001","extra.bleg_uuid":"fs-0002","accountCode":"","_key":1}',
    );
    const calls = got.calls();
    expect(calls.map((c) => [c.callId, c.direction, c.startedAt, c.answeredAt, c.talkSeconds, c.durationSeconds, c.disposition, c.hangupCause, c.accountCode])).toEqual([
      ['fs-0001', 'inbound', '2026-01-15T08:00:05+00:00', '2026-01-15T08:00:11+00:00', 120, 126, 'answered', 16, null],
      ['fs-0003', 'outbound', '2026-01-15T08:05:00+00:00', null, 0, 20, 'no_answer', 16, '77'],
      ['fs-0004', 'internal', '2026-01-15T08:06:00+00:00', null, 0, 4, 'busy', 17, null],
    ]);
  });

  it('reads Asterisk cdr_sqlite3_custom rows (text columns, fractional seconds) by AcctId', async () => {
    const db = sqlite(ASTERISK_SQLITE3_TABLE);
    const insert = db.prepare(
      'INSERT INTO cdr (calldate, clid, dcontext, channel, dstchannel, lastapp, lastdata, source, destination, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, test) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
    );
    insert.run('2026-07-01 09:15:00', '"Sales" <0161496000>', 'from-trunk', 'SIP/trunk-0001', 'SIP/201-0002', 'Dial', 'SIP/201', '0161496000', '201', '65.400000', '60.100000', 'ANSWERED', 'DOCUMENTATION', '', '1782897300.1', '', '');
    insert.run('2026-07-01 09:20:00', '"201" <201>', 'from-internal', 'SIP/201-0003', '', 'Dial', 'SIP/trunk/0800123', '201', '0800123', '12.000000', '0.000000', 'NO ANSWER', 'DOCUMENTATION', 'X1', '1782897600.3', '', '');
    db.close();

    const got = await pullOnce({ type: 'sql', engine: 'sqlite', path: dbPath, preset: 'asterisk-sqlite3-custom' }, stateDir);
    const calls = got.calls('Europe/London');
    expect(calls.map((c) => [c.callId, c.direction, c.startedAt, c.durationSeconds, c.talkSeconds, c.disposition, c.callerName, c.callerNumber, c.extra.amaflags])).toEqual([
      ['1782897300.1', 'inbound', '2026-07-01T09:15:00+01:00', 65, 60, 'answered', 'Sales', '0161496000', 'DOCUMENTATION'],
      ['1782897600.3', 'outbound', '2026-07-01T09:20:00+01:00', 12, 0, 'no_answer', '201', '201', 'DOCUMENTATION'],
    ]);
  });

  it('orders an Asterisk cdr table without an id by (calldate, uniqueid): ties across batches, new rows at the mark after a restart', async () => {
    const db = sqlite(ASTERISK_TABLE);
    const rows = asteriskRows(40);
    insertAsteriskSqlite(db, rows.slice(0, 25)); // 25 rows: the last calldate holds one of its three
    const options = { type: 'sql' as const, engine: 'sqlite' as const, path: dbPath, preset: 'asterisk-cdr' as const, batchSize: 4 };
    const first = await pullOnce(options, stateDir);
    expect(first.records.map((r) => r.key)).toEqual(rows.slice(0, 25).map((r) => `${r.calldate}|${r.uniqueid}`));
    insertAsteriskSqlite(db, rows.slice(25)); // the rest of that calldate and later ones
    db.close();
    const second = await pullOnce(options, stateDir);
    expect(second.records.map((r) => r.key)).toEqual(rows.slice(25).map((r) => `${r.calldate}|${r.uniqueid}`));
    const calls = [...first.calls(), ...second.calls()];
    expect(calls.map((c) => c.callId)).toEqual(rows.map((r) => r.uniqueid));
    expect(calls[4]).toMatchObject({ disposition: 'no_answer', talkSeconds: 0, durationSeconds: 5, hangupCause: 19 });
    expect(calls[9]).toMatchObject({ disposition: 'busy', hangupCause: 17 });
    const state = JSON.parse(readFileSync(join(stateDir, readdirSync(stateDir)[0]!), 'utf8'));
    expect(state.highWater).toEqual({ key: rows[39]!.calldate, tie: rows[39]!.uniqueid });
    expect(state.rows).toBe(40);
  });

  it('takes a row Asterisk writes late below the mark (a long call, dated when it began) once, within the lookback', async () => {
    const db = sqlite(ASTERISK_TABLE);
    const rows = asteriskRows(9);
    insertAsteriskSqlite(db, rows);
    const options = { type: 'sql' as const, engine: 'sqlite' as const, path: dbPath, preset: 'asterisk-cdr' as const, pollSeconds: 0.02 };
    const collected = new Collected();
    let pull = startSqlPull(options, collected.sink, { stateDir, lookbackEveryMs: 0 });
    try {
      await idle(pull);
      // A two-hour call that began at 06:00 ends now; one that began 5 h before the mark is beyond the 4 h lookback.
      const long = { ...rows[0]!, calldate: '2026-01-15 06:00:00', uniqueid: '1768456800.77', duration: 7205, billsec: 7200 };
      const tooOld = { ...rows[0]!, calldate: '2026-01-15 03:00:00', uniqueid: '1768446000.78' };
      insertAsteriskSqlite(db, [long, tooOld]);
      await waitFor('the late row', () => collected.records.length === 10, 2000).catch((e) => { throw new Error(e.message + JSON.stringify(pull.status())); });
      await idle(pull, 3);
      expect(pull.status().lateRows).toBe(1);
    } finally {
      await pull.stop();
    }
    pull = startSqlPull(options, collected.sink, { stateDir, lookbackEveryMs: 0 });
    try {
      await idle(pull, 2);
    } finally {
      await pull.stop();
      db.close();
    }
    expect(collected.records.map((r) => r.key)).toEqual([...rows.map((r) => `${r.calldate}|${r.uniqueid}`), '2026-01-15 06:00:00|1768456800.77']);
    expect(collected.calls()[9]).toMatchObject({ startedAt: '2026-01-15T06:00:00+00:00', endedAt: '2026-01-15T08:00:05+00:00', talkSeconds: 7200 });
  });

  it('names every mapped column the table lacks, and the missing table', async () => {
    const db = sqlite(ASTERISK_TABLE.replace(', userfield TEXT, linkedid TEXT', ''));
    db.close();
    await expect(pullOnce({ type: 'sql', engine: 'sqlite', path: dbPath, preset: 'asterisk-cdr' }, stateDir)).rejects.toThrow(
      `table "cdr" in ${dbPath} has no column "userfield" (mapped to extra.userfield), "linkedid" (mapped to extra.linkedid); its columns are: calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags, accountcode, uniqueid, peeraccount, sequence`,
    );
    await expect(
      pullOnce({ type: 'sql', engine: 'sqlite', path: dbPath, preset: 'asterisk-cdr', mapping: { 'extra.userfield': '', 'extra.linkedid': '', trunk: "substr({c:channelname}, 1, 5)" } }, stateDir),
    ).rejects.toThrow(`has no column "channelname" (mapped to trunk)`);
    await expect(pullOnce({ type: 'sql', engine: 'sqlite', path: dbPath, preset: 'asterisk-cdr', table: 'cdr2024' }, stateDir)).rejects.toThrow(
      `table "cdr2024" does not exist in ${dbPath}`,
    );
  });

  it('hands over rows with NULLs and text in numeric columns; each fails to parse with its reason, later rows still flow, none twice', async () => {
    const db = sqlite(ASTERISK_TABLE);
    const good = asteriskRows(6);
    insertAsteriskSqlite(db, good.slice(0, 2));
    const bad = db.prepare('INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, linkedid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
    bad.run('2026-01-15 08:00:07', '', '201', '202', 'x', 'c', '', 'Dial', '', 'abc', 0, 'ANSWERED', 3, '', 'bad.1', '', ''); // text in an INTEGER column
    bad.run('2026-01-15 08:00:07', '', '201', '202', 'x', 'c', '', 'Dial', '', 30, null, 'ANSWERED', 3, '', 'bad.2', '', ''); // NULL billsec, answered
    bad.run('2026-01-15 08:00:07', '', '201', '202', 'x', 'c', '', 'Dial', '', 30, 10, 'SOMETHING', 3, '', 'bad.3', '', '');
    bad.run('2026-01-15 08:00:07', null, null, null, null, null, null, null, null, 30, 10, 'ANSWERED', null, null, 'bad.4', null, null); // NULL text columns: fine
    insertAsteriskSqlite(db, good.slice(2));
    db.close();
    const options = { type: 'sql' as const, engine: 'sqlite' as const, path: dbPath, preset: 'asterisk-cdr' as const, batchSize: 3 };
    const got = await pullOnce(options, stateDir);
    expect(got.records).toHaveLength(10);
    expect(new Set(got.records.map((r) => r.key)).size).toBe(10);
    const outcome = got.results().map((r) => (r.kind === 'call' ? r.call.callId : r.kind === 'error' ? r.error : r.kind));
    expect(outcome).toEqual([
      good[0]!.uniqueid,
      good[1]!.uniqueid,
      good[2]!.uniqueid,
      // The same calldate: ordered by uniqueid, and "1768…" sorts before "bad…".
      good[3]!.uniqueid,
      good[4]!.uniqueid,
      good[5]!.uniqueid,
      'durationSeconds "abc" is not a number',
      'talkSeconds is NULL for an answered call, and answeredAt or endedAt is NULL too',
      'disposition "SOMETHING" is not a known disposition, hangup cause or SIP code',
      'bad.4',
    ]);
    const again = await pullOnce(options, stateDir);
    expect(again.records).toEqual([]);
  });

  it('finds the table rotated (keys restart below the mark) and reads the new one from its start; rows deleted after they were taken are no rotation', async () => {
    const db = sqlite(`CREATE TABLE acc_cdr (id INTEGER PRIMARY KEY, calldate TEXT, billsec INTEGER);`);
    const add = (table: string, n: number, from: number): void => {
      const stmt = db.prepare(`INSERT INTO ${table} (id, calldate, billsec) VALUES (?, ?, ?)`);
      for (let i = 0; i < n; i++) stmt.run(from + i, `2026-01-15 09:${String(i).padStart(2, '0')}:00`, i);
    };
    add('acc_cdr', 10, 1);
    const collected = new Collected();
    const options = {
      type: 'sql' as const, engine: 'sqlite' as const, path: dbPath, table: 'acc_cdr', key: 'id', pollSeconds: 0.02,
      mapping: { startedAt: 'calldate', durationSeconds: 'billsec', talkSeconds: 'billsec' },
    };
    const pull = startSqlPull(options, collected.sink, { stateDir });
    try {
      await idle(pull);
      expect(collected.records.map((r) => r.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
      // The switch purges rows it knows were collected: no rotation, later rows continue.
      db.exec('DELETE FROM acc_cdr WHERE id <= 10');
      add('acc_cdr', 2, 11);
      await waitFor('rows 11 and 12', () => collected.records.length === 12);
      await idle(pull, 2);
      expect(pull.status().rotations).toBe(0);
      // Rotation: the table is renamed away and a new one starts at 1.
      db.exec('ALTER TABLE acc_cdr RENAME TO acc_cdr_old; CREATE TABLE acc_cdr (id INTEGER PRIMARY KEY, calldate TEXT, billsec INTEGER);');
      add('acc_cdr', 3, 1);
      await waitFor('the new table', () => collected.records.length === 15);
      await idle(pull);
      expect(pull.status()).toMatchObject({ rotations: 1, lastError: null, highWater: { key: 3, tie: null } });
      expect(collected.records.map((r) => r.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '1', '2', '3']);
    } finally {
      await pull.stop();
      db.close();
    }
  });

  it('flag-column mode (CDR-Pusher): pulls rows WHERE flag = 0, sets the flag once taken, never alters the table', async () => {
    const db = sqlite(ASTERISK_SQLITE3_TABLE);
    db.close();
    const options = { type: 'sql' as const, engine: 'sqlite' as const, path: dbPath, preset: 'asterisk-sqlite3-custom' as const, flagColumn: 'flag_imported' };
    await expect(pullOnce(options, stateDir)).rejects.toThrow(
      'has no column "flag_imported" (the flag column: Calltrail never alters the switch\'s table; add it yourself, e.g. ALTER TABLE cdr ADD COLUMN flag_imported INTEGER NOT NULL DEFAULT 0, or leave flagColumn out)',
    );
    const schemaBefore = sqlite().prepare("SELECT sql FROM sqlite_master WHERE name = 'cdr'").pluck().get();
    expect(schemaBefore).not.toContain('flag_imported');

    const db2 = sqlite('ALTER TABLE cdr ADD COLUMN flag_imported INTEGER NOT NULL DEFAULT 0');
    const insert = db2.prepare("INSERT INTO cdr (calldate, source, destination, duration, billsec, disposition, uniqueid, flag_imported) VALUES (?, '201', '202', 10, 5, 'ANSWERED', ?, ?)");
    for (let i = 1; i <= 7; i++) insert.run(`2026-01-15 10:00:0${i}`, `u${i}`, i === 3 ? 1 : 0); // row 3 was imported before
    const first = await pullOnce({ ...options, batchSize: 2 }, stateDir);
    expect(first.records.map((r) => r.key)).toEqual(['1', '2', '4', '5', '6', '7']);
    expect(db2.prepare('SELECT flag_imported FROM cdr ORDER BY AcctId').pluck().all()).toEqual([1, 1, 1, 1, 1, 1, 1]);
    insert.run('2026-01-15 10:00:08', 'u8', 0);
    const second = await pullOnce(options, stateDir);
    expect(second.records.map((r) => r.key)).toEqual(['8']);
    db2.close();
  });

  it('waits for a database file that is not there yet, says why, and reads it once it appears', async () => {
    const collected = new Collected();
    const pull = startSqlPull({ type: 'sql', engine: 'sqlite', path: dbPath, preset: 'freeswitch-cdr-sqlite', pollSeconds: 0.02 }, collected.sink, {
      stateDir,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    try {
      await waitFor('an error', () => pull.status().lastError !== null);
      expect(pull.status().lastError).toBe('cdr: unable to open database file');
      expect(pull.status().connected).toBe(false);
      const db = sqlite(FREESWITCH_TABLE);
      db.prepare("INSERT INTO cdr (start_stamp, duration, billsec, hangup_cause, uuid) VALUES ('2026-01-15 08:00:00', 3, 0, 'NO_ANSWER', 'x1')").run();
      db.close();
      await waitFor('the row', () => collected.records.length === 1);
      await idle(pull);
      expect(pull.status()).toMatchObject({ connected: true, lastError: null, outages: 1, rows: 1 });
    } finally {
      await pull.stop();
    }
  });

  it('reads a batch again when the sink fails on one of its records: nothing is skipped', async () => {
    const db = sqlite('CREATE TABLE t (id INTEGER PRIMARY KEY, calldate TEXT)');
    for (let i = 1; i <= 10; i++) db.prepare('INSERT INTO t VALUES (?, ?)').run(i, `2026-01-15 09:00:0${i % 10}`);
    db.close();
    const taken: string[] = [];
    let failures = 0;
    const pull = startSqlPull(
      { type: 'sql', engine: 'sqlite', path: dbPath, table: 't', key: 'id', batchSize: 4, pollSeconds: 0.02, mapping: { startedAt: 'calldate' } },
      async (record) => {
        if (record.key === '6' && failures++ === 0) throw new Error('the store is down');
        taken.push(record.key);
      },
      { stateDir, backoff: { initialMs: 10, maxMs: 20 } },
    );
    try {
      await waitFor('every row', () => taken.length === 11);
      await idle(pull);
      expect(taken).toEqual(['1', '2', '3', '4', '5', '5', '6', '7', '8', '9', '10']);
      expect(pull.status()).toMatchObject({ outages: 1, lastError: null, highWater: { key: 10, tie: null } });
    } finally {
      await pull.stop();
    }
  });

  it('rejects a bad config with every problem listed', () => {
    expect(() => startSqlPull({ type: 'sql', engine: 'mysql', table: 'cdr', mapping: { startedAt: 'calldate', callerNumbr: 'src' } }, () => undefined, { stateDir })).toThrow(
      'sql source: url: a mysql source needs url: mysql://user:password@host/database; key: give key: the column that orders the rows (or a preset); mapping.callerNumbr: "callerNumbr" is not a call field (startedAt, callerNumber … or extra.<name>)',
    );
  });
});
