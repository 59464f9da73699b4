import { emptyCall, type Call, type CallEvent, type Direction } from '../../core/call.js';
import { readDigits } from '../../core/digits.js';
import { mapSipCode } from '../../core/hangup-causes.js';
import { isoInZone, readStamp, ZoneClock } from '../../core/time.js';
import type { Assembler, Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// Kamailio / OpenSIPS acc module. Syslog lines `ACC: transaction answered: timestamp=…;method=INVITE;
// from_tag=…;to_tag=…;call_id=…;code=200;reason=OK` plus the site's log_extra keys, behind whatever
// prefix the logger adds; older OpenSER writes `key=value, key=value` and no timestamp (the syslog
// date then gives the time). The INVITE record marks the answer (or, missed or failed, the whole
// call); the BYE with the same call_id marks the end. kamailioRowToCall reads the same facts from
// rows of the acc, missed_calls and cdrs tables.

const ACC_MARK = 'ACC: ';
const PAIR_SPLIT_RE = /[;,]\s*(?=[A-Za-z_][A-Za-z0-9_.-]*=)/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC3164_RE = /^(?:<\d+>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /;
const ISO_PREFIX_RE = /^(?:<\d+>\d? ?)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2}) /;
const EXTENSION_RE = /^\d{2,5}$/;
/** Epoch seconds before 2000 or after 2100 are damaged fields. */
const MIN_EPOCH = 946_684_800;
const MAX_EPOCH = 4_102_444_800;

function direction(src: string | null, dst: string | null): Direction {
  const srcExt = src !== null && EXTENSION_RE.test(src);
  const dstExt = dst !== null && EXTENSION_RE.test(dst);
  if (srcExt && dstExt) return 'internal';
  if (srcExt) return 'outbound';
  if (dstExt) return 'inbound';
  return 'unknown';
}

/** The syslog prefix's time: RFC 3164 (no year: the reference date's, or the year before for a later month) or RFC 5424. */
function prefixTime(line: string, ctx: ParseContext, clock: ZoneClock): number | string | null {
  const iso = ISO_PREFIX_RE.exec(line);
  if (iso) {
    const ms = Date.parse(iso[1]! + (iso[2] === 'Z' ? 'Z' : iso[2]!));
    return Number.isNaN(ms) ? `syslog time "${iso[1]}" is not a real date and time` : ms;
  }
  const m = RFC3164_RE.exec(line);
  if (!m) return null;
  const month = MONTHS.indexOf(m[1]!) + 1;
  if (month === 0) return `syslog month "${m[1]}" is not a month`;
  const refYear = Number(ctx.referenceDate.slice(0, 4));
  const refMonth = Number(ctx.referenceDate.slice(5, 7));
  const year = month > refMonth + 1 ? refYear - 1 : refYear;
  const stamp = `${year}-${String(month).padStart(2, '0')}-${m[2]!.padStart(2, '0')} ${m[3]}:${m[4]}:${m[5]}`;
  const t = readStamp(stamp, '-');
  if (t === null || t === 'invalid') return `syslog time "${m[0].trim()}" is not a real date and time`;
  return clock.local(t).epochMs;
}

/** The key=value pairs of an acc record, in either style. */
function pairs(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of body.split(PAIR_SPLIT_RE)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!out.has(key)) out.set(key, part.slice(eq + 1).trim());
  }
  return out;
}

type Fact = { event: 'answered' | 'ended' | 'failed'; callId: string; epochMs: number; code: number; data: Record<string, string | number | null> };

/** The facts of one acc record, from its key=value pairs; a string says what is wrong, null means not a call fact. */
function factOf(kv: ReadonlyMap<string, string>, fallbackMs: number | null): Fact | string | null {
  const method = (kv.get('method') ?? '').toUpperCase();
  if (method === '') return 'method is missing';
  if (method !== 'INVITE' && method !== 'BYE') return null;
  const callId = kv.get('call_id') ?? kv.get('callid') ?? '';
  if (callId === '') return 'call_id is missing';
  let codeText = kv.get('code') ?? kv.get('sip_code') ?? '';
  let reason = kv.get('reason') ?? kv.get('sip_reason') ?? '';
  const space = codeText.indexOf(' ');
  if (space > 0) [codeText, reason] = [codeText.slice(0, space), reason || codeText.slice(space + 1)];
  const code = codeText.length === 3 ? readDigits(codeText, 0, 3) : -1;
  if (code < 100 || code > 699) return `code "${codeText}" is not a SIP response code`;
  const stampText = kv.get('timestamp') ?? kv.get('time');
  let epochMs = fallbackMs;
  if (stampText !== undefined) {
    const seconds = stampText.length <= 10 ? readDigits(stampText, 0, stampText.length) : -1;
    if (seconds < MIN_EPOCH || seconds >= MAX_EPOCH) return `timestamp "${stampText}" is not a time`;
    epochMs = seconds * 1000;
  }
  if (epochMs === null) return 'no timestamp and no syslog time';
  const data: Record<string, string | number | null> = { method, code, reason };
  for (const [key, value] of kv) if (!(key in data) && key !== 'timestamp' && key !== 'call_id' && key !== 'callid') data[key] = value;
  const event = method === 'BYE' ? 'ended' : code < 300 ? 'answered' : 'failed';
  return { event, callId, epochMs, code, data };
}

function parseLine(line: string, ctx: ParseContext, clock: ZoneClock): ParseResult {
  const at = line.indexOf(ACC_MARK);
  if (at < 0) return { kind: 'skip', reason: 'not an acc record' };
  const colon = line.indexOf(': ', at + ACC_MARK.length);
  if (colon < 0) return { kind: 'error', error: 'acc record without "<event>: " after "ACC: "' };
  const what = line.slice(at + ACC_MARK.length, colon);
  const kv = pairs(line.slice(colon + 2));
  const stamp = kv.has('timestamp') || kv.has('time') ? null : prefixTime(line, ctx, clock);
  if (typeof stamp === 'string') return { kind: 'error', error: stamp };
  const fact = factOf(kv, stamp);
  if (typeof fact === 'string') return { kind: 'error', error: fact };
  if (fact === null) return { kind: 'skip', reason: `acc record of a ${kv.get('method')} transaction` };
  fact.data.acc = what;
  fact.data.epochMs = fact.epochMs;
  return { kind: 'event', event: { format: 'kamailio-acc', callRef: fact.callId, event: fact.event, occurredAt: clock.iso(fact.epochMs), data: fact.data, raw: line } };
}

const str = (v: string | number | null | undefined): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

function baseCall(e: CallEvent, raw: string): Call {
  const call = emptyCall('kamailio-acc', e.occurredAt, raw);
  const d = e.data;
  call.callId = e.callRef;
  call.callerNumber = str(d.src_user) ?? str(d.src_username);
  call.dialedNumber = str(d.dst_ouser) ?? str(d.dst_ousername) ?? str(d.dst_user) ?? str(d.dst_username);
  call.calledNumber = call.dialedNumber;
  call.callerName = str(d.src_name);
  call.direction = direction(call.callerNumber, call.dialedNumber);
  call.extension = call.direction === 'inbound' ? call.dialedNumber : call.callerNumber;
  for (const key of ['from_tag', 'to_tag', 'src_domain', 'dst_domain', 'src_ip', 'acc']) {
    const v = str(d[key]);
    if (v !== null) call.extra[key] = v;
  }
  return call;
}

function failedCall(e: CallEvent): Call {
  const call = baseCall(e, e.raw);
  const code = Number(e.data.code);
  const mapped = mapSipCode(code);
  call.endedAt = call.startedAt;
  call.ringSeconds = 0;
  call.disposition = mapped?.disposition === 'answered' ? 'unknown' : (mapped?.disposition ?? 'unknown');
  call.hangupCause = mapped?.cause ?? null;
  call.extra.sipCode = code;
  const reason = str(e.data.reason);
  if (reason !== null) call.extra.sipReason = reason;
  return call;
}

function answeredCall(invite: CallEvent, bye: CallEvent | null): Call {
  const call = baseCall(invite, bye ? invite.raw + '\n' + bye.raw : invite.raw);
  call.answeredAt = call.startedAt;
  call.ringSeconds = null;
  call.disposition = 'answered';
  call.extra.sipCode = Number(invite.data.code);
  if (bye) {
    const talk = Math.max(0, Math.round((Number(bye.data.epochMs) - Number(invite.data.epochMs)) / 1000));
    call.endedAt = bye.occurredAt;
    call.talkSeconds = talk;
    call.durationSeconds = talk;
    call.hangupCause = 16;
    const byeFrom = str(bye.data.from_tag);
    if (byeFrom !== null) call.extra.endedBy = byeFrom === str(invite.data.from_tag) ? 'caller' : 'callee';
  } else {
    call.extra.unterminated = 'no BYE record';
  }
  return call;
}

/** Pairs each answered INVITE with the BYE of its call_id; missed and failed INVITEs are calls at once. */
class AccAssembler implements Assembler {
  private readonly open = new Map<string, CallEvent>();

  constructor(private readonly maxOpen = 100_000) {}

  push(event: CallEvent): Call[] {
    const invite = this.open.get(event.callRef);
    if (event.event === 'answered') {
      // A re-INVITE inside the dialog is answered too: the first one started the call.
      if (invite) return [];
      this.open.set(event.callRef, event);
      if (this.open.size > this.maxOpen) {
        const [oldestRef, oldest] = this.open.entries().next().value as [string, CallEvent];
        this.open.delete(oldestRef);
        return [answeredCall(oldest, null)];
      }
      return [];
    }
    if (event.event === 'ended') {
      if (!invite) {
        const orphan = baseCall(event, event.raw);
        orphan.endedAt = orphan.startedAt;
        orphan.extra.unpaired = 'BYE without an answered INVITE';
        return [orphan];
      }
      this.open.delete(event.callRef);
      return [answeredCall(invite, event)];
    }
    if (invite) return []; // a failed re-INVITE: the call goes on
    return [failedCall(event)];
  }

  flush(): Call[] {
    const calls = [...this.open.values()].map((e) => answeredCall(e, null));
    this.open.clear();
    return calls;
  }
}

export type KamailioTable = 'acc' | 'missed_calls' | 'cdrs' | 'collection_cdrs';

/**
 * One row of an acc table (the SQL pull source's input): `acc` rows are events for the assembler,
 * `missed_calls`, `cdrs` (and CDR-Stats' `collection_cdrs`) rows are whole calls.
 */
export function kamailioRowToCall(row: Record<string, unknown>, table: KamailioTable, ctx: ParseContext): ParseResult {
  const raw = JSON.stringify(row);
  const text = (key: string): string => {
    const v = row[key];
    return v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v).trim();
  };
  const clock = new ZoneClock(ctx.timeZone);
  const timeOf = (key: string): number | string => {
    const v = row[key];
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? `${key} is not a real date` : v.getTime();
    const s = text(key);
    if (s === '') return `${key} is empty`;
    const t = readStamp(s, '-');
    if (t === null || t === 'invalid' || t.year === 0) return `${key} "${s}" is not a real date and time`;
    return clock.local(t).epochMs;
  };
  const kv = new Map<string, string>();
  for (const key of Object.keys(row)) {
    const v = text(key);
    if (v !== '') kv.set(key, v);
  }
  if (table === 'acc' || table === 'missed_calls') {
    const ms = timeOf('time');
    if (typeof ms === 'string') return { kind: 'error', error: ms };
    kv.delete('time');
    const fact = factOf(kv, ms);
    if (typeof fact === 'string') return { kind: 'error', error: fact };
    if (fact === null) return { kind: 'skip', reason: `acc row of a ${kv.get('method')} transaction` };
    fact.data.epochMs = fact.epochMs;
    fact.data.acc = table;
    const event: CallEvent = { format: 'kamailio-acc', callRef: fact.callId, event: fact.event, occurredAt: clock.iso(fact.epochMs), data: fact.data, raw };
    if (table === 'acc') return { kind: 'event', event };
    return { kind: 'call', call: failedCall({ ...event, event: 'failed' }) };
  }
  const start = timeOf(row.call_start_time !== undefined ? 'call_start_time' : 'start_time');
  if (typeof start === 'string') return { kind: 'error', error: start };
  const durationText = text('duration');
  const duration = durationText === '' ? -1 : Math.round(Number(durationText));
  if (!(duration >= 0) || duration > 10 * 86400) return { kind: 'error', error: `duration "${durationText}" is not a number of seconds` };
  const callId = text('sip_call_id') || text('callid');
  if (callId === '') return { kind: 'error', error: 'sip_call_id is empty' };
  const codeText = text('sip_code') || '200';
  const code = readDigits(codeText, 0, codeText.length);
  const mapped = mapSipCode(code);
  if (!mapped) return { kind: 'error', error: `sip_code "${codeText}" is not a SIP response code` };
  const data: Record<string, string | number | null> = {
    src_user: text('src_username') || text('src_user'),
    dst_user: text('dst_username') || text('dst_user'),
    dst_ouser: text('dst_ousername') || text('dst_ouser'),
    from_tag: text('sip_from_tag') || text('from_tag'),
    to_tag: text('sip_to_tag') || text('to_tag'),
    src_domain: text('src_domain'),
    dst_domain: text('dst_domain'),
    src_ip: text('src_ip'),
    acc: table,
  };
  const event: CallEvent = { format: 'kamailio-acc', callRef: callId, event: 'answered', occurredAt: clock.iso(start), data, raw };
  const call = baseCall(event, raw);
  const answered = mapped.disposition === 'answered';
  call.answeredAt = answered ? call.startedAt : null;
  call.endedAt = clock.iso(start + duration * 1000);
  call.talkSeconds = answered ? duration : 0;
  call.durationSeconds = duration;
  call.disposition = answered ? 'answered' : mapped.disposition;
  call.hangupCause = mapped.cause;
  call.extra.sipCode = code;
  if (text('sip_reason') !== '') call.extra.sipReason = text('sip_reason');
  if (text('cost') !== '') call.extra.cost = Number(text('cost'));
  return { kind: 'call', call };
}

function syslogDate(ms: number, timeZone: string): string {
  const iso = isoInZone(ms, timeZone);
  const day = Number(iso.slice(8, 10));
  return `${MONTHS[Number(iso.slice(5, 7)) - 1]} ${day < 10 ? ' ' : ''}${day} ${iso.slice(11, 19)}`;
}

/** Even calls as Kamailio writes them (timestamp=…;key=value), odd ones as older OpenSER (key=value, … and the syslog date). */
function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const older = sim.index % 2 === 1;
  const inbound = sim.direction === 'inbound';
  const src = inbound ? sim.externalNumber : sim.extension;
  const dst = inbound ? sim.extension : sim.externalNumber;
  const callId = `${(0x3c2a9b1e + sim.index * 7919).toString(16)}-${sim.index}@10.0.0.5`;
  const fromTag = `as${(sim.index * 104729).toString(16)}`;
  const toTag = `${(sim.index * 15485863).toString(16)}z`;
  const line = (ms: number, what: string, method: string, code: number, reason: string, from: string, to: string): string => {
    const keys: [string, string | number][] = [
      ...(older ? [] : ([['timestamp', Math.floor(ms / 1000)]] as [string, number][])),
      ['method', method], ['from_tag', from], ['to_tag', to], ['call_id', callId], ['code', code], ['reason', reason],
      ['src_user', src], ['src_domain', 'pbx.example.com'], ['src_ip', inbound ? '198.51.100.7' : '10.0.0.21'],
      ['dst_ouser', dst], ['dst_user', dst], ['dst_domain', 'pbx.example.com'],
    ];
    const body = keys.map(([k, v]) => `${k}=${v}`).join(older ? ', ' : ';');
    const who = older ? 'openser[2345]: ' : '/usr/sbin/kamailio[2345]: NOTICE: acc [acc.c:280]: ';
    return `${syslogDate(ms, ctx.timeZone)} sip1 ${who}ACC: ${what}: ${body}`;
  };
  if (!sim.answered) {
    const [code, reason] = sim.index % 6 === 1 ? [486, 'Busy Here'] : sim.index % 6 === 3 ? [480, 'Temporarily Unavailable'] : [487, 'Request Terminated'];
    return [line(sim.startedAtMs, 'call missed', 'INVITE', code, reason, fromTag, toTag)];
  }
  return [
    line(sim.startedAtMs, 'transaction answered', 'INVITE', 200, 'OK', fromTag, toTag),
    line(sim.startedAtMs + sim.talkSeconds * 1000, 'transaction answered', 'BYE', 200, 'OK', fromTag, toTag),
  ];
}

function detect(sample: readonly string[]): number {
  let hits = 0;
  for (const line of sample) if (/ACC: [a-z ]+: .*method=/.test(line) && /call_?id=/.test(line)) hits++;
  return sample.length === 0 ? 0 : hits / sample.length;
}

export const kamailioAcc: Format = {
  id: 'kamailio-acc',
  name: 'Kamailio / OpenSIPS acc (syslog)',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => {
    const clock = new ZoneClock(ctx.timeZone);
    return (record) => parseLine(record, ctx, clock);
  },
  createAssembler: () => new AccAssembler(),
  render,
};
