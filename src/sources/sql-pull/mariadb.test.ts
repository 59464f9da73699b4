import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type SqlEngine } from './engines.js';
import { startSqlPull } from './pull.js';
import {
  ASTERISK_CDR_MYSQL,
  asteriskRows,
  Collected,
  idle,
  insertAsterisk,
  insertKamailio,
  kamailioRow,
  kamailioTable,
  kamailioTables,
  MYSQL_SKIP_NOTE,
  MYSQL_URL,
  pullOnce,
  Relay,
  run,
  scratchMysql,
  waitFor,
  type Scratch,
} from './test-support.js';

// The SQL pull source against a real MariaDB server (scripts/test-mariadb.sh), tables laid out as
// Asterisk, Kamailio and seed 004's CDR-Stats triggers write them.

if (!MYSQL_URL) {
  describe('sql pull from MariaDB', () => {
    it.skip(MYSQL_SKIP_NOTE, () => undefined);
  });
} else {
  const serverUrl: string = MYSQL_URL;
  let scratch: Scratch;
  let db: SqlEngine;
  let dir: string;

  beforeAll(async () => {
    scratch = await scratchMysql(serverUrl);
    db = await openEngine({ engine: 'mysql', url: scratch.url });
  });

  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'calltrail-sql-pull-mysql-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  describe('sql pull from MariaDB', () => {
    it('reads an Asterisk cdr table (no id) in (calldate, uniqueid) order, dates as the server writes them', async () => {
      await run(db, ASTERISK_CDR_MYSQL);
      const rows = asteriskRows(1000);
      await insertAsterisk(db, rows);
      const got = await pullOnce({ type: 'sql', engine: 'mysql', url: scratch.url, preset: 'asterisk-cdr', batchSize: 250 }, dir);
      expect(got.records.map((r) => r.key)).toEqual(rows.map((r) => `${r.calldate}|${r.uniqueid}`));
      expect(got.records[0]!.text).toBe(
        '{"startedAt":"2026-01-15 08:00:00","callerName":"\\"Caller 0\\" <02079460000>","callerNumber":"02079460000","dialedNumber":"200",' +
          '"durationSeconds":15,"talkSeconds":10,"disposition":"ANSWERED","accountCode":"4711","callId":"1768464000.1000","extra.dcontext":"from-trunk",' +
          '"extra.channel":"PJSIP/trunk-00000000","extra.dstchannel":"PJSIP/200-00000001","extra.lastapp":"Dial","extra.lastdata":"PJSIP/200,30",' +
          '"extra.amaflags":3,"extra.userfield":"","extra.linkedid":"1768464000.1000","_key":"2026-01-15 08:00:00","_tie":"1768464000.1000"}',
      );
      const calls = got.calls('Europe/Berlin');
      expect(calls[0]).toMatchObject({
        callId: '1768464000.1000',
        direction: 'inbound',
        startedAt: '2026-01-15T08:00:00+01:00',
        answeredAt: '2026-01-15T08:00:05+01:00',
        endedAt: '2026-01-15T08:00:15+01:00',
        talkSeconds: 10,
        durationSeconds: 15,
        disposition: 'answered',
        hangupCause: 16,
        callerName: 'Caller 0',
        extension: '200',
        accountCode: '4711',
      });
      expect(calls.filter((c) => c.disposition === 'answered')).toHaveLength(800);
      await run(db, 'DROP TABLE cdr');
    });

    it('reads Kamailio acc (BYE rows joined to their INVITE, failed INVITEs) and missed_calls', async () => {
      await run(db, kamailioTables('mysql'));
      await insertKamailio(db, 'acc', [
        kamailioRow('INVITE', 'call-1@pbx', '200', 'OK', '2026-01-15 10:00:00', '1001', '02079460999'),
        kamailioRow('INVITE', 'call-2@pbx', '486', 'Busy Here', '2026-01-15 10:00:30', '1002', '1003'),
        kamailioRow('INVITE', 'call-3@pbx', '200', 'OK', '2026-01-15 10:01:00', '1004', '1005'), // still talking: no BYE yet
        kamailioRow('BYE', 'call-1@pbx', '200', 'OK', '2026-01-15 10:02:30', '02079460999', '1001'),
      ]);
      await insertKamailio(db, 'missed_calls', [kamailioRow('INVITE', 'call-4@pbx', '480', 'Temporarily Unavailable', '2026-01-15 10:03:00', '02079460999', '1006')]);
      const acc = await pullOnce({ type: 'sql', engine: 'mysql', url: scratch.url, preset: 'kamailio-acc' }, dir);
      expect(acc.records.map((r) => r.key)).toEqual(['2', '4']);
      expect(acc.calls().map((c) => [c.callId, c.startedAt, c.answeredAt, c.endedAt, c.durationSeconds, c.talkSeconds, c.disposition, c.hangupCause, c.callerNumber, c.dialedNumber, c.extra.method])).toEqual([
        ['call-2@pbx', '2026-01-15T10:00:30+00:00', null, '2026-01-15T10:00:30+00:00', 0, 0, 'busy', 17, '1002', '1003', 'INVITE'],
        ['call-1@pbx', '2026-01-15T10:00:00+00:00', '2026-01-15T10:00:00+00:00', '2026-01-15T10:02:30+00:00', 150, 150, 'answered', 16, '02079460999', '1001', 'BYE'],
      ]);
      const missed = await pullOnce({ type: 'sql', engine: 'mysql', url: scratch.url, preset: 'kamailio-missed-calls' }, dir);
      expect(missed.calls().map((c) => [c.callId, c.disposition, c.hangupCause, c.extra.sipCode, c.extra.sipReason])).toEqual([
        ['call-4@pbx', 'no_answer', 18, 480, 'Temporarily Unavailable'],
      ]);
      await run(db, 'DROP TABLE acc;\nDROP TABLE missed_calls');
    });

    it("reads seed 004's collection_cdrs, filled by its triggers, in the flag-column mode CDR-Pusher used", async () => {
      // The seed's DDL, as given. Its INSERTs leave `created` (NOT NULL, no default) unset, which
      // only works with MariaDB's strict mode off — the seed's "default config breaks on MySQL".
      await db.query("SET SESSION sql_mode = ''");
      await run(db, kamailioTable('mysql', 'missed_calls')); // with cdr_id, as siremis adds it
      await run(
        db,
        `CREATE TABLE cdrs (
  cdr_id bigint(20) NOT NULL AUTO_INCREMENT, src_username varchar(64) NOT NULL DEFAULT '', src_domain varchar(128) NOT NULL DEFAULT '',
  dst_username varchar(64) NOT NULL DEFAULT '', dst_domain varchar(128) NOT NULL DEFAULT '', dst_ousername varchar(64) NOT NULL DEFAULT '',
  call_start_time datetime NOT NULL DEFAULT '0000-00-00 00:00:00', duration int(10) unsigned NOT NULL DEFAULT '0',
  sip_call_id varchar(128) NOT NULL DEFAULT '', sip_from_tag varchar(128) NOT NULL DEFAULT '', sip_to_tag varchar(128) NOT NULL DEFAULT '',
  src_ip varchar(64) NOT NULL DEFAULT '', cost int(11) NOT NULL DEFAULT '0', rated int(11) NOT NULL DEFAULT '0', created datetime NOT NULL,
  PRIMARY KEY (cdr_id), UNIQUE KEY uk_cft (sip_call_id, sip_from_tag, sip_to_tag)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
CREATE TABLE collection_cdrs (
    id bigint(20) NOT NULL auto_increment, cdr_id bigint(20) NOT NULL default '0', src_username varchar(64) NOT NULL default '',
    src_domain varchar(128) NOT NULL default '', dst_username varchar(64) NOT NULL default '', dst_domain varchar(128) NOT NULL default '',
    dst_ousername varchar(64) NOT NULL default '', call_start_time datetime NOT NULL default '0000-00-00 00:00:00',
    duration int(10) unsigned NOT NULL default '0', sip_call_id varchar(128) NOT NULL default '', sip_from_tag varchar(128) NOT NULL default '',
    sip_to_tag varchar(128) NOT NULL default '', src_ip varchar(64) NOT NULL default '', cost integer NOT NULL default '0',
    rated integer NOT NULL default '0', sip_code char(3) NOT NULL default '', sip_reason varchar(32) NOT NULL default '',
    created datetime NOT NULL, flag_imported integer NOT NULL default '0', PRIMARY KEY  (id)
)`,
      );
      await db.query(
        `CREATE TRIGGER copy_cdrs AFTER INSERT ON cdrs FOR EACH ROW
BEGIN
    INSERT INTO collection_cdrs SET cdr_id = NEW.cdr_id, src_username = NEW.src_username, src_domain = NEW.src_domain,
        dst_username = NEW.dst_username, dst_domain = NEW.dst_domain, dst_ousername = NEW.dst_ousername,
        call_start_time = NEW.call_start_time, duration = NEW.duration, sip_call_id = NEW.sip_call_id,
        sip_from_tag = NEW.sip_from_tag, sip_to_tag = NEW.sip_to_tag, src_ip = NEW.src_ip, cost = NEW.cost, rated = NEW.rated,
        sip_code = 200, sip_reason = '';
END`,
      );
      await db.query(
        `CREATE TRIGGER copy_missed_calls AFTER INSERT ON missed_calls FOR EACH ROW
BEGIN
    INSERT INTO collection_cdrs SET cdr_id = NEW.cdr_id, src_username = NEW.src_user, src_domain = NEW.src_domain,
        dst_username = NEW.dst_user, dst_domain = NEW.dst_domain, dst_ousername = NEW.dst_ouser, call_start_time = NEW.time,
        duration = 0, sip_call_id = NEW.callid, sip_from_tag = NEW.from_tag, sip_to_tag = NEW.to_tag, src_ip = NEW.src_ip,
        cost = 0, rated = 0, sip_code = NEW.sip_code, sip_reason = NEW.sip_reason;
END`,
      );
      await db.query("SET SESSION sql_mode = DEFAULT");
      const cdr = async (callId: string, start: string, duration: number): Promise<void> => {
        await db.query(
          "INSERT INTO cdrs (src_username, src_domain, dst_username, dst_domain, dst_ousername, call_start_time, duration, sip_call_id, sip_from_tag, sip_to_tag, src_ip, created) VALUES ('1001', 'pbx', '02079460999', 'pbx', '02079460999', ?, ?, ?, 'ft', 'tt', '192.0.2.10', NOW())",
          [start, duration, callId],
        );
      };
      await cdr('c1@pbx', '2026-01-15 11:00:00', 95);
      await insertKamailio(db, 'missed_calls', [kamailioRow('INVITE', 'c2@pbx', '486', 'Busy Here', '2026-01-15 11:01:00', '1001', '1002')]);
      await cdr('c3@pbx', '2026-01-15 11:02:00', 12);
      const options = { type: 'sql' as const, engine: 'mysql' as const, url: scratch.url, preset: 'cdrstats-collection' as const, flagColumn: 'flag_imported', batchSize: 2 };
      const first = await pullOnce(options, dir);
      expect(first.calls().map((c) => [c.callId, c.startedAt, c.durationSeconds, c.talkSeconds, c.disposition, c.hangupCause, c.callerNumber, c.dialedNumber])).toEqual([
        ['c1@pbx', '2026-01-15T11:00:00+00:00', 95, 95, 'answered', 16, '1001', '02079460999'],
        ['c2@pbx', '2026-01-15T11:01:00+00:00', 0, 0, 'busy', 17, '1001', '1002'],
        ['c3@pbx', '2026-01-15T11:02:00+00:00', 12, 12, 'answered', 16, '1001', '02079460999'],
      ]);
      expect((await db.query('SELECT flag_imported AS f FROM collection_cdrs ORDER BY id')).map((r) => r.f)).toEqual([1, 1, 1]);
      await cdr('c4@pbx', '2026-01-15 11:03:00', 7);
      const second = await pullOnce(options, dir);
      expect(second.records.map((r) => JSON.parse(r.text).callId)).toEqual(['c4@pbx']);
      await run(db, 'DROP TABLE cdrs;\nDROP TABLE missed_calls;\nDROP TABLE collection_cdrs');
    });

    it('takes a row whose id was given out before the mark but committed after it (concurrent inserts), once', async () => {
      await run(db, 'CREATE TABLE acc_ids (id INT AUTO_INCREMENT PRIMARY KEY, calldate DATETIME NOT NULL, billsec INT NOT NULL)');
      const writer = await openEngine({ engine: 'mysql', url: scratch.url });
      const collected = new Collected();
      const pull = startSqlPull(
        {
          type: 'sql', engine: 'mysql', url: scratch.url, table: 'acc_ids', key: 'id', lookback: 100, pollSeconds: 0.02,
          mapping: { startedAt: 'calldate', durationSeconds: 'billsec', talkSeconds: 'billsec' },
        },
        collected.sink,
        { stateDir: dir, lookbackEveryMs: 0 },
      );
      try {
        await db.query("INSERT INTO acc_ids (calldate, billsec) VALUES ('2026-01-15 12:00:00', 1), ('2026-01-15 12:00:01', 2)");
        await writer.query('BEGIN');
        await writer.query("INSERT INTO acc_ids (calldate, billsec) VALUES ('2026-01-15 12:00:02', 3)"); // id 3, not committed yet
        await db.query("INSERT INTO acc_ids (calldate, billsec) VALUES ('2026-01-15 12:00:03', 4)"); // id 4, committed
        await waitFor('rows 1, 2 and 4', () => collected.records.length === 3);
        await writer.query('COMMIT');
        await waitFor('row 3', () => collected.records.length === 4);
        await idle(pull, 3);
        expect(collected.records.map((r) => r.key)).toEqual(['1', '2', '4', '3']);
        expect(pull.status()).toMatchObject({ lateRows: 1, highWater: { key: 4, tie: null } });
      } finally {
        await pull.stop();
        await writer.close();
      }
      await run(db, 'DROP TABLE acc_ids');
    });

    it('survives the server becoming unreachable mid-run: one outage, logged once, every row exactly once', async () => {
      await run(db, 'CREATE TABLE acc_ids (id INT AUTO_INCREMENT PRIMARY KEY, calldate DATETIME NOT NULL, billsec INT NOT NULL)');
      for (let i = 0; i < 4; i++) {
        await db.query(`INSERT INTO acc_ids (calldate, billsec) VALUES ${Array.from({ length: 50 }, (_, j) => `('2026-01-15 12:00:00', ${i * 50 + j})`).join(', ')}`);
      }
      const server = new URL(serverUrl);
      const relay = new Relay(server.hostname, Number(server.port));
      await relay.open();
      const collected = new Collected();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const warnings: string[] = [];
      const log = {
        child: () => log,
        warn: (_: unknown, msg: string) => warnings.push(msg),
        info: (_: unknown, msg: string) => warnings.push(msg),
        error: (_: unknown, msg: string) => warnings.push(msg),
      } as never;
      const pull = startSqlPull(
        {
          type: 'sql', engine: 'mysql', url: relay.urlFor(scratch.url), table: 'acc_ids', key: 'id', batchSize: 50, pollSeconds: 0.02,
          mapping: { startedAt: 'calldate', durationSeconds: 'billsec', talkSeconds: 'billsec' },
        },
        (record) => {
          collected.sink(record);
          return collected.records.length === 100 ? gate : undefined;
        },
        { stateDir: dir, backoff: { initialMs: 20, maxMs: 100 }, log },
      );
      try {
        await waitFor('100 rows', () => collected.records.length === 100);
        await relay.cut();
        release();
        await waitFor('the outage', () => pull.status().lastError !== null);
        await new Promise((r) => setTimeout(r, 300)); // several retries while it is down
        expect(pull.status()).toMatchObject({ connected: false, outages: 1 });
        await relay.open();
        await waitFor('every row', () => collected.records.length >= 200);
        await idle(pull);
        expect(pull.status()).toMatchObject({ connected: true, outages: 1, lastError: null });
        expect(collected.records.map((r) => Number(r.key))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        // Said once for the outage (the lost connection, then many refused retries), once when back.
        expect(warnings).toEqual([expect.stringMatching(/^cannot read the source, retrying with backoff until it can: acc_ids: /), 'the source is readable again']);
      } finally {
        await pull.stop();
        await relay.cut();
      }
      await run(db, 'DROP TABLE acc_ids');
    });
  });
}
