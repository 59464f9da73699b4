import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Call } from '../../core/call.js';
import { sqlRow } from '../../formats/sql-row/format.js';
import type { ParseResult } from '../../formats/format.js';
import { createScratchDatabase } from '../../store/scratch-database.js';
import { openEngine, type SqlEngine } from './engines.js';
import { startSqlPull, type SqlPull, type SqlPullOptions, type SqlPullRecord } from './pull.js';

// Shared by the SQL pull tests: scratch databases on the test servers, the switches' own table
// layouts, and a pull that runs until it has read the table to its end.

export const POSTGRES_URL = process.env.CALLTRAIL_TEST_DATABASE_URL;
export const MYSQL_URL = process.env.CALLTRAIL_TEST_MYSQL_URL;
export const MYSQL_SKIP_NOTE =
  'MariaDB tests skipped: no server configured. Start one with `eval "$(scripts/test-mariadb.sh start)"` ' +
  '(needs Debian mariadb-server) or set CALLTRAIL_TEST_MYSQL_URL=mysql://user@127.0.0.1:3306/db';
export const POSTGRES_SKIP_NOTE = 'PostgreSQL SQL pull tests skipped: set CALLTRAIL_TEST_DATABASE_URL (eval "$(scripts/test-postgres.sh start)")';

export interface Scratch {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database on the MariaDB test server. */
export async function scratchMysql(serverUrl: string): Promise<Scratch> {
  const name = `ct_pull_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await openEngine({ engine: 'mysql', url: serverUrl });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = await openEngine({ engine: 'mysql', url: serverUrl });
      await a.query(`DROP DATABASE IF EXISTS ${name}`);
      await a.close();
    },
  };
}

export async function scratchPostgres(serverUrl: string): Promise<Scratch> {
  return createScratchDatabase(serverUrl, 'ct_pull');
}

export async function run(engine: SqlEngine, script: string): Promise<void> {
  for (const statement of script.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s !== '')) await engine.query(statement);
}

/** Collects what a pull hands over, and parses it as the sql-row format would in the store. */
export class Collected {
  readonly records: SqlPullRecord[] = [];
  sink = (record: SqlPullRecord): undefined => {
    this.records.push(record);
    return undefined;
  };
  results(timeZone = 'Europe/London'): ParseResult[] {
    const parse = sqlRow.createParser({ timeZone, referenceDate: '2026-01-20' });
    return this.records.map((r) => parse(r.text));
  }
  calls(timeZone = 'Europe/London'): Call[] {
    return this.results(timeZone).map((r, i) => {
      if (r.kind !== 'call') throw new Error(`record ${i} did not parse: ${JSON.stringify(r)} ${this.records[i]!.text}`);
      return r.call;
    });
  }
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until the pull has read to the end of the table `polls` more times. */
export async function idle(pull: SqlPull, polls = 1): Promise<void> {
  const from = pull.status().idlePolls;
  await waitFor('the pull to reach the end of the table', () => pull.status().idlePolls >= from + polls);
}

/** Starts a pull, lets it read the table to its end, stops it. */
export async function pullOnce(options: SqlPullOptions, stateDir: string, collected = new Collected()): Promise<Collected> {
  const pull = startSqlPull({ pollSeconds: 0.02, ...options }, collected.sink, { stateDir, backoff: { initialMs: 20, maxMs: 200 } });
  try {
    await waitFor('the pull to reach the end of the table', () => pull.status().idlePolls >= 1 || pull.status().lastError !== null);
    const error = pull.status().lastError;
    if (error) throw new Error(error);
  } finally {
    await pull.stop();
  }
  return collected;
}

/** A TCP relay to a database server that can be cut and restored: the source "unreachable". */
export class Relay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener and every relayed connection. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}

// ---------------------------------------------------------------------------------- layouts

/** Asterisk cdr_mysql / FreePBX asteriskcdrdb.cdr. */
export const ASTERISK_CDR_MYSQL = `
CREATE TABLE cdr (
  calldate datetime NOT NULL default '0000-00-00 00:00:00',
  clid varchar(80) NOT NULL default '',
  src varchar(80) NOT NULL default '',
  dst varchar(80) NOT NULL default '',
  dcontext varchar(80) NOT NULL default '',
  channel varchar(80) NOT NULL default '',
  dstchannel varchar(80) NOT NULL default '',
  lastapp varchar(80) NOT NULL default '',
  lastdata varchar(80) NOT NULL default '',
  duration int(11) NOT NULL default '0',
  billsec int(11) NOT NULL default '0',
  disposition varchar(45) NOT NULL default '',
  amaflags int(11) NOT NULL default '0',
  accountcode varchar(20) NOT NULL default '',
  uniqueid varchar(32) NOT NULL default '',
  userfield varchar(255) NOT NULL default '',
  did varchar(50) NOT NULL default '',
  recordingfile varchar(255) NOT NULL default '',
  linkedid varchar(32) NOT NULL default '',
  peeraccount varchar(80) NOT NULL default '',
  sequence int(11) NOT NULL default '0',
  KEY calldate (calldate),
  KEY uniqueid (uniqueid)
) DEFAULT CHARSET=utf8mb4`;

/** Asterisk cdr_pgsql (its documented table). */
export const ASTERISK_CDR_PGSQL = `
CREATE TABLE cdr (
  calldate timestamp with time zone NOT NULL default now(),
  clid varchar(80) NOT NULL default '',
  src varchar(80) NOT NULL default '',
  dst varchar(80) NOT NULL default '',
  dcontext varchar(80) NOT NULL default '',
  channel varchar(80) NOT NULL default '',
  dstchannel varchar(80) NOT NULL default '',
  lastapp varchar(80) NOT NULL default '',
  lastdata varchar(80) NOT NULL default '',
  duration bigint NOT NULL default '0',
  billsec bigint NOT NULL default '0',
  disposition varchar(45) NOT NULL default '',
  amaflags bigint NOT NULL default '0',
  accountcode varchar(20) NOT NULL default '',
  uniqueid varchar(150) NOT NULL default '',
  userfield varchar(255) NOT NULL default '',
  peeraccount varchar(20) NOT NULL default '',
  linkedid varchar(150) NOT NULL default '',
  sequence int NOT NULL default '0'
);
CREATE INDEX cdr_calldate ON cdr (calldate, uniqueid)`;

export interface AsteriskRow {
  calldate: string;
  clid: string;
  src: string;
  dst: string;
  dcontext: string;
  channel: string;
  dstchannel: string;
  lastapp: string;
  lastdata: string;
  duration: number;
  billsec: number;
  disposition: string;
  amaflags: number;
  accountcode: string;
  uniqueid: string;
  userfield: string;
  linkedid: string;
}

export const ASTERISK_COLUMNS = [
  'calldate', 'clid', 'src', 'dst', 'dcontext', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'duration', 'billsec',
  'disposition', 'amaflags', 'accountcode', 'uniqueid', 'userfield', 'linkedid',
] as const;

/** n Asterisk rows, some sharing a calldate (ties), as a busy PBX writes them. */
export function asteriskRows(n: number, from = Date.UTC(2026, 0, 15, 8, 0, 0), first = 0): AsteriskRow[] {
  const rows: AsteriskRow[] = [];
  for (let i = first; i < first + n; i++) {
    const at = new Date(from + Math.floor(i / 3) * 7000); // three calls per calldate
    const stamp = at.toISOString().slice(0, 19).replace('T', ' ');
    const inbound = i % 2 === 0;
    const answered = i % 5 !== 4;
    const billsec = answered ? 10 + (i % 300) : 0;
    const uniqueid = `${Math.floor(at.getTime() / 1000)}.${1000 + i}`;
    rows.push({
      calldate: stamp,
      clid: inbound ? `"Caller ${i}" <0207946${String(i % 10000).padStart(4, '0')}>` : `"Ext ${200 + (i % 50)}" <${200 + (i % 50)}>`,
      src: inbound ? `0207946${String(i % 10000).padStart(4, '0')}` : String(200 + (i % 50)),
      dst: inbound ? String(200 + (i % 50)) : `0044161496${String(i % 10000).padStart(4, '0')}`,
      dcontext: inbound ? 'from-trunk' : 'from-internal',
      channel: `PJSIP/${inbound ? 'trunk' : 200 + (i % 50)}-${i.toString(16).padStart(8, '0')}`,
      dstchannel: answered ? `PJSIP/${inbound ? 200 + (i % 50) : 'trunk'}-${(i + 1).toString(16).padStart(8, '0')}` : '',
      lastapp: 'Dial',
      lastdata: inbound ? `PJSIP/${200 + (i % 50)},30` : 'PJSIP/trunk',
      duration: billsec + 5,
      billsec,
      disposition: answered ? 'ANSWERED' : i % 10 === 4 ? 'NO ANSWER' : 'BUSY',
      amaflags: 3,
      accountcode: i % 7 === 0 ? '4711' : '',
      uniqueid,
      userfield: '',
      linkedid: uniqueid,
    });
  }
  return rows;
}

/** Multi-row INSERTs of Asterisk rows, `per` rows a statement. */
export async function insertAsterisk(engine: SqlEngine, rows: readonly AsteriskRow[], table = 'cdr', per = 500): Promise<void> {
  const cols = ASTERISK_COLUMNS.join(', ');
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => `(${ASTERISK_COLUMNS.map((c) => {
      params.push(r[c]);
      return engine.placeholder(params.length);
    }).join(', ')})`);
    await engine.query(`INSERT INTO ${table} (${cols}) VALUES ${tuples.join(', ')}`, params);
  }
}

/** Kamailio's acc and missed_calls (kamctl mysql schema) with the usual extra columns (siremis). */
export function kamailioTables(engine: 'mysql' | 'postgres'): string {
  return kamailioTable(engine, 'acc') + ';\n' + kamailioTable(engine, 'missed_calls');
}

export function kamailioTable(engine: 'mysql' | 'postgres', name: string): string {
  const id = engine === 'mysql' ? 'id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL' : 'id SERIAL PRIMARY KEY NOT NULL';
  const time = engine === 'mysql' ? 'DATETIME' : 'TIMESTAMP WITHOUT TIME ZONE';
  return `
CREATE TABLE ${name} (
  ${id},
  method VARCHAR(16) DEFAULT '' NOT NULL,
  from_tag VARCHAR(128) DEFAULT '' NOT NULL,
  to_tag VARCHAR(128) DEFAULT '' NOT NULL,
  callid VARCHAR(255) DEFAULT '' NOT NULL,
  sip_code VARCHAR(3) DEFAULT '' NOT NULL,
  sip_reason VARCHAR(128) DEFAULT '' NOT NULL,
  time ${time} NOT NULL,
  src_user VARCHAR(64) DEFAULT '' NOT NULL,
  src_domain VARCHAR(128) DEFAULT '' NOT NULL,
  src_ip VARCHAR(64) DEFAULT '' NOT NULL,
  dst_ouser VARCHAR(64) DEFAULT '' NOT NULL,
  dst_user VARCHAR(64) DEFAULT '' NOT NULL,
  dst_domain VARCHAR(128) DEFAULT '' NOT NULL,
  cdr_id INTEGER DEFAULT 0 NOT NULL
);
CREATE INDEX ${name}_callid_idx ON ${name} (callid)`;
}

export const KAMAILIO_COLUMNS = ['method', 'from_tag', 'to_tag', 'callid', 'sip_code', 'sip_reason', 'time', 'src_user', 'src_domain', 'src_ip', 'dst_ouser', 'dst_user', 'dst_domain'] as const;
export type KamailioRow = Record<(typeof KAMAILIO_COLUMNS)[number], string>;

export function kamailioRow(method: string, callid: string, code: string, reason: string, time: string, from: string, to: string): KamailioRow {
  return {
    method, from_tag: `ft-${callid}`, to_tag: code === '200' ? `tt-${callid}` : '', callid, sip_code: code, sip_reason: reason, time,
    src_user: from, src_domain: 'pbx.example.com', src_ip: '192.0.2.10', dst_ouser: to, dst_user: to, dst_domain: 'pbx.example.com',
  };
}

export async function insertKamailio(engine: SqlEngine, table: string, rows: readonly KamailioRow[]): Promise<void> {
  for (const r of rows) {
    const params = KAMAILIO_COLUMNS.map((c) => r[c]);
    const ph = KAMAILIO_COLUMNS.map((_, i) => engine.placeholder(i + 1)).join(', ');
    await engine.query(`INSERT INTO ${table} (${KAMAILIO_COLUMNS.map((c) => engine.quoteIdent(c)).join(', ')}) VALUES (${ph})`, params);
  }
}
