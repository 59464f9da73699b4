// The table layouts switches write their CDRs in, as a mapping from our fields to their columns.
// A mapping value is a column name, or an SQL expression in which `{table}` stands for the quoted
// table and `{c:name}` for a quoted column (so the expression works on every engine, and the
// columns it uses are checked up front like plain ones).

export interface SqlPreset {
  /** What the switch calls the table by default. */
  table: string;
  /** The ordering column: a unique, increasing id where the layout has one. */
  key: string;
  /** For a key that is not unique: the column that breaks ties. */
  tieKey?: string;
  /** Rows to pull (a condition that never changes for a row once written). */
  where?: string;
  /** How far below the mark late rows are still looked for (seconds for a time key, ids for a numeric one). */
  lookback: number;
  mapping: Readonly<Record<string, string>>;
  /** For the docs: the switch and module that writes the table. */
  writtenBy: string;
}

// Asterisk cdr_mysql / cdr_pgsql / cdr_odbc / cdr_adaptive_odbc: the table has no id, so rows are
// ordered by calldate with uniqueid breaking ties (give key: id when yours has one). Asterisk writes
// a row when the call ends, dated when it began: a call that lasted longer than the lookback (4 h)
// and ended after shorter, later calls were taken would be missed — raise it for longer calls.
const asteriskCdr: SqlPreset = {
  writtenBy: 'Asterisk cdr_mysql, cdr_pgsql, cdr_odbc, cdr_adaptive_odbc (table cdr)',
  table: 'cdr',
  key: 'calldate',
  tieKey: 'uniqueid',
  lookback: 4 * 3600,
  mapping: {
    startedAt: 'calldate',
    callerName: 'clid',
    callerNumber: 'src',
    dialedNumber: 'dst',
    durationSeconds: 'duration',
    talkSeconds: 'billsec',
    disposition: 'disposition',
    accountCode: 'accountcode',
    callId: 'uniqueid',
    'extra.dcontext': 'dcontext',
    'extra.channel': 'channel',
    'extra.dstchannel': 'dstchannel',
    'extra.lastapp': 'lastapp',
    'extra.lastdata': 'lastdata',
    'extra.amaflags': 'amaflags',
    'extra.userfield': 'userfield',
    'extra.linkedid': 'linkedid',
  },
};

// Asterisk cdr_sqlite3_custom's default columns (seed 004): src and dst are "source" and
// "destination", and Asterisk creates the table with an AcctId INTEGER PRIMARY KEY.
const asteriskSqlite3Custom: SqlPreset = {
  writtenBy: 'Asterisk cdr_sqlite3_custom (master.db, table cdr)',
  table: 'cdr',
  key: 'AcctId',
  lookback: 1000,
  mapping: {
    startedAt: 'calldate',
    callerName: 'clid',
    callerNumber: 'source',
    dialedNumber: 'destination',
    durationSeconds: 'duration',
    talkSeconds: 'billsec',
    disposition: 'disposition',
    accountCode: 'accountcode',
    callId: 'uniqueid',
    'extra.dcontext': 'dcontext',
    'extra.channel': 'channel',
    'extra.dstchannel': 'dstchannel',
    'extra.lastapp': 'lastapp',
    'extra.lastdata': 'lastdata',
    'extra.amaflags': 'amaflags',
    'extra.userfield': 'userfield',
  },
};

// FreeSWITCH mod_cdr_sqlite's default table (no id: SQLite's rowid is the insertion order).
const freeswitchCdrSqlite: SqlPreset = {
  writtenBy: 'FreeSWITCH mod_cdr_sqlite (cdr.db, table cdr, default template)',
  table: 'cdr',
  key: 'rowid',
  lookback: 1000,
  mapping: {
    callerName: 'caller_id_name',
    callerNumber: 'caller_id_number',
    dialedNumber: 'destination_number',
    'extra.context': 'context',
    startedAt: 'start_stamp',
    answeredAt: 'answer_stamp',
    endedAt: 'end_stamp',
    durationSeconds: 'duration',
    talkSeconds: 'billsec',
    disposition: 'hangup_cause',
    callId: 'uuid',
    'extra.bleg_uuid': 'bleg_uuid',
    accountCode: 'account_code',
  },
};

const KAMAILIO_EXTRA = {
  callerNumber: 'src_user',
  dialedNumber: 'dst_user',
  'extra.srcDomain': 'src_domain',
  'extra.srcIp': 'src_ip',
  'extra.dstOuser': 'dst_ouser',
  'extra.dstDomain': 'dst_domain',
};

// The 2xx INVITE of the same dialog: when the call was answered.
const INVITE_TIME =
  "(SELECT MIN(i.{c:time}) FROM {table} i WHERE i.{c:callid} = {table}.{c:callid} AND i.{c:method} = 'INVITE' AND i.{c:sip_code} LIKE '2%')";

// Kamailio acc (acc_db) with the extra columns of the usual setup (kamailio.cfg acc_extra / siremis):
// a row per transaction. A BYE row is the end of an answered call, whose start is its 2xx INVITE
// row; a failed INVITE row (FLT_ACCFAILED) is a call that failed. 2xx INVITE rows are not pulled:
// their BYE row carries them.
const kamailioAcc: SqlPreset = {
  writtenBy: 'Kamailio acc module, acc_db (table acc) with src_user/dst_user … extra columns',
  table: 'acc',
  key: 'id',
  lookback: 1000,
  where: "{c:method} = 'BYE' OR ({c:method} = 'INVITE' AND {c:sip_code} NOT LIKE '2%')",
  mapping: {
    startedAt: `COALESCE(${INVITE_TIME}, {table}.{c:time})`,
    answeredAt: `CASE WHEN {table}.{c:method} = 'BYE' THEN ${INVITE_TIME} END`,
    endedAt: 'time',
    callId: 'callid',
    sipCode: 'sip_code',
    'extra.sipReason': 'sip_reason',
    'extra.method': 'method',
    'extra.fromTag': 'from_tag',
    'extra.toTag': 'to_tag',
    ...KAMAILIO_EXTRA,
  },
};

// Kamailio missed_calls (acc_db with FLT_ACCMISSED): INVITEs that were not answered.
const kamailioMissedCalls: SqlPreset = {
  writtenBy: 'Kamailio acc module, acc_db missed calls (table missed_calls)',
  table: 'missed_calls',
  key: 'id',
  lookback: 1000,
  mapping: {
    startedAt: 'time',
    durationSeconds: '0',
    talkSeconds: '0',
    callId: 'callid',
    sipCode: 'sip_code',
    'extra.sipReason': 'sip_reason',
    'extra.method': 'method',
    'extra.fromTag': 'from_tag',
    'extra.toTag': 'to_tag',
    ...KAMAILIO_EXTRA,
  },
};

// Seed 004's collection_cdrs: Kamailio cdrs and missed_calls merged by triggers. cdrs rows get
// sip_code 200 and their duration is talk time; missed calls get duration 0 and their SIP code.
const cdrstatsCollection: SqlPreset = {
  writtenBy: "CDR-Stats' Kamailio triggers (table collection_cdrs, seed 004)",
  table: 'collection_cdrs',
  key: 'id',
  lookback: 1000,
  mapping: {
    startedAt: 'call_start_time',
    durationSeconds: 'duration',
    talkSeconds: "CASE WHEN {c:sip_code} LIKE '2%' THEN {c:duration} ELSE 0 END",
    callId: 'sip_call_id',
    callerNumber: 'src_username',
    dialedNumber: 'dst_username',
    sipCode: 'sip_code',
    'extra.sipReason': 'sip_reason',
    'extra.srcDomain': 'src_domain',
    'extra.dstDomain': 'dst_domain',
    'extra.dstOusername': 'dst_ousername',
    'extra.srcIp': 'src_ip',
    'extra.cdrId': 'cdr_id',
    'extra.fromTag': 'sip_from_tag',
    'extra.toTag': 'sip_to_tag',
  },
};

export const PRESETS = {
  'asterisk-cdr': asteriskCdr,
  'asterisk-sqlite3-custom': asteriskSqlite3Custom,
  'freeswitch-cdr-sqlite': freeswitchCdrSqlite,
  'kamailio-acc': kamailioAcc,
  'kamailio-missed-calls': kamailioMissedCalls,
  'cdrstats-collection': cdrstatsCollection,
} as const satisfies Record<string, SqlPreset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];
