import { emptyCall, type Call, type Direction, type Disposition } from '../../core/call.js';
import {
  dispositionFromCause,
  mapAsteriskDisposition,
  mapFreeswitchCause,
  mapSipCode,
  causeFromFreeswitchName,
} from '../../core/hangup-causes.js';
import { isoInZone, isValidLocal, ZoneClock } from '../../core/time.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';
import { CODE_FIELDS, EXTRA_PREFIX, SECOND_FIELDS, SOURCE_KEY_FIELDS, TEXT_FIELDS, TIME_FIELDS } from './fields.js';

// One row of a switch's CDR table, as the SQL pull source hands it over: a JSON object whose keys
// are our field names (the source's mapping put `<column or expression> AS "field"` in the
// SELECT) and whose values are what the engine returned — dates as the engine's text. Times without
// an offset are the switch's local time; with an offset (PostgreSQL timestamptz) or as epoch
// seconds they are instants.
//
// NULLs: startedAt is required. durationSeconds may be NULL when endedAt is known (end − start);
// talkSeconds NULL is end − answer when both are known, else 0 for a call that was not answered
// (the only safe default) and an error for an answered one. Other NULLs stay null.

type Value = string | number | boolean | null;
const SOURCE_KEYS = new Set<string>(SOURCE_KEY_FIELDS);
const TIME = new Set<string>(TIME_FIELDS);
const SECONDS = new Set<string>(SECOND_FIELDS);
const TEXT = new Set<string>(TEXT_FIELDS);
const CODE = new Set<string>(CODE_FIELDS);

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const NUMBER_TEXT = /^\s*\d+(\.\d+)?\s*$/;
const EPOCH_TEXT = /^\d{9,11}(\.\d+)?$/;
const EXTENSION = /^\d{2,6}$/;
const CLID = /^\s*"([^"]*)"\s*<([^>]*)>\s*$/;
/** Instants this far from now are typing errors, not calls (epoch 0, year 9999). */
const MIN_MS = Date.UTC(1990, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

const DIRECTION_WORDS: Readonly<Record<string, Direction>> = {
  inbound: 'inbound', in: 'inbound', incoming: 'inbound', i: 'inbound',
  outbound: 'outbound', out: 'outbound', outgoing: 'outbound', o: 'outbound',
  internal: 'internal', local: 'internal',
  unknown: 'unknown',
};
const DISPOSITIONS = new Set(['answered', 'no_answer', 'busy', 'failed', 'rejected', 'unknown']);

class RowError extends Error {}

function show(v: Value): string {
  return typeof v === 'string' ? JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v) : String(v);
}

interface Instant {
  epochMs: number;
  iso: string;
}

function readTime(field: string, v: Value, clock: ZoneClock): Instant | null {
  if (v === null) return null;
  if (typeof v === 'boolean') throw new RowError(`${field} ${v} is not a date and time`);
  let epochMs: number;
  if (typeof v === 'number' || EPOCH_TEXT.test(v)) {
    const seconds = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(seconds)) throw new RowError(`${field} ${show(v)} is not a date and time`);
    if (seconds === 0) return null; // "no time" in epoch columns (CUCM, some acc setups)
    epochMs = Math.floor(seconds) * 1000;
  } else {
    const text = v.trim();
    if (text === '' || text.startsWith('0000-00-00')) return null; // MySQL's zero date: never set
    const m = STAMP.exec(text);
    if (!m) throw new RowError(`${field} ${show(v)} is not a date and time (YYYY-MM-DD hh:mm:ss)`);
    const t = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +m[6]! };
    if (!isValidLocal(t)) throw new RowError(`${field} ${show(v)} is not a real date and time`);
    const zone = m[8];
    if (zone === undefined) {
      epochMs = clock.local(t).epochMs;
    } else {
      const naive = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
      let offset = 0;
      if (zone !== 'Z') {
        const digits = zone.replace(':', '');
        offset = (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || '0')) * (zone[0] === '-' ? -1 : 1);
      }
      epochMs = naive - offset * 60000;
    }
  }
  if (epochMs < MIN_MS || epochMs >= MAX_MS) throw new RowError(`${field} ${show(v)} is outside 1990…2099`);
  return { epochMs, iso: clock.iso(epochMs) };
}

function readSeconds(field: string, v: Value): number | null {
  if (v === null) return null;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && NUMBER_TEXT.test(v)) n = Number(v);
  else if (typeof v === 'string' && /^\s*-\d+(\.\d+)?\s*$/.test(v)) throw new RowError(`${field} ${show(v)} is negative`);
  else throw new RowError(`${field} ${show(v)} is not a number`);
  if (!Number.isFinite(n)) throw new RowError(`${field} ${show(v)} is not a number`);
  if (n < 0) throw new RowError(`${field} ${show(v)} is negative`);
  if (n > 366 * 86400) throw new RowError(`${field} ${show(v)} is more than a year`);
  return Math.round(n);
}

function readText(v: Value): string | null {
  if (v === null) return null;
  const t = String(v).trim();
  return t === '' ? null : t;
}

interface Outcome {
  disposition: Disposition | null;
  cause: number | null;
}

/** A disposition word, a Q.850 cause or a SIP code; talkSeconds decides "answered" for causes. */
function readDisposition(v: Value, talkSeconds: number): Outcome | null {
  if (v === null) return null;
  const text = String(v).trim();
  if (text === '') return null;
  if (/^\d{1,3}$/.test(text)) {
    const n = Number(text);
    if (n <= 127) return { cause: n, disposition: dispositionFromCause(n, talkSeconds) };
    const sip = mapSipCode(n);
    if (sip) return { cause: sip.cause, disposition: talkSeconds > 0 ? 'answered' : sip.disposition };
    throw new RowError(`disposition ${show(v)} is neither a Q.850 cause (0…127) nor a SIP response code (200…699)`);
  }
  const asterisk = mapAsteriskDisposition(text);
  if (asterisk) return asterisk;
  const lower = text.toLowerCase();
  if (DISPOSITIONS.has(lower)) return { cause: null, disposition: lower as Disposition };
  const freeswitch = mapFreeswitchCause(text, talkSeconds);
  if (freeswitch) return freeswitch;
  throw new RowError(`disposition ${show(v)} is not a known disposition, hangup cause or SIP code`);
}

function readCause(v: Value): number | null {
  if (v === null) return null;
  const text = String(v).trim();
  if (text === '') return null;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 127) return Number(text);
  const named = causeFromFreeswitchName(text);
  if (named !== null) return named;
  throw new RowError(`hangupCause ${show(v)} is not a Q.850 cause (0…127) or cause name`);
}

function readDirection(v: Value): Direction | null {
  if (v === null) return null;
  const text = String(v).trim().toLowerCase();
  if (text === '') return null;
  const d = DIRECTION_WORDS[text];
  if (!d) throw new RowError(`direction ${show(v)} is not inbound, outbound, internal or unknown`);
  return d;
}

function inferDirection(caller: string | null, dialed: string | null, extension: string | null): Direction {
  const callerExt = caller !== null && (caller === extension || EXTENSION.test(caller));
  const dialedExt = dialed !== null && (dialed === extension || EXTENSION.test(dialed));
  if (callerExt && dialedExt) return 'internal';
  if (callerExt) return 'outbound';
  if (dialedExt) return 'inbound';
  return 'unknown';
}

function parseRow(record: string, clock: ZoneClock): ParseResult {
  const text = record.trim();
  if (text === '') return { kind: 'error', error: 'empty record' };
  if (text[0] !== '{') return { kind: 'error', error: 'not a JSON object' };
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (err) {
    return { kind: 'error', error: `not JSON: ${(err as Error).message}` };
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return { kind: 'error', error: 'not a JSON object' };
  try {
    return { kind: 'call', call: toCall(row as Record<string, unknown>, record, clock) };
  } catch (err) {
    if (err instanceof RowError) return { kind: 'error', error: err.message };
    throw err;
  }
}

function toCall(row: Record<string, unknown>, raw: string, clock: ZoneClock): Call {
  const values: Record<string, Value> = Object.create(null) as Record<string, Value>;
  const extra: Call['extra'] = {};
  for (const key in row) {
    const value = row[key];
    const v: Value =
      value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
    if (key.startsWith(EXTRA_PREFIX) && key.length > EXTRA_PREFIX.length) extra[key.slice(EXTRA_PREFIX.length)] = typeof v === 'string' ? v.trim() : v;
    else if (TIME.has(key) || SECONDS.has(key) || TEXT.has(key) || CODE.has(key)) values[key] = v;
    else if (!SOURCE_KEYS.has(key)) throw new RowError(`unknown field "${key.slice(0, 40)}"`);
  }
  const get = (name: string): Value => values[name] ?? null;

  if (!('startedAt' in values)) throw new RowError('startedAt is missing');
  const start = readTime('startedAt', get('startedAt'), clock);
  if (start === null) throw new RowError(`startedAt is ${get('startedAt') === null ? 'NULL' : `empty (${show(get('startedAt'))})`}`);
  let answer = readTime('answeredAt', get('answeredAt'), clock);
  let end = readTime('endedAt', get('endedAt'), clock);
  if (end && end.epochMs < start.epochMs) throw new RowError(`endedAt ${show(get('endedAt'))} is before startedAt ${show(get('startedAt'))}`);
  if (answer && answer.epochMs < start.epochMs) throw new RowError(`answeredAt ${show(get('answeredAt'))} is before startedAt ${show(get('startedAt'))}`);
  if (answer && end && end.epochMs < answer.epochMs) throw new RowError(`endedAt ${show(get('endedAt'))} is before answeredAt ${show(get('answeredAt'))}`);

  let duration = readSeconds('durationSeconds', get('durationSeconds'));
  if (duration === null) {
    if (!end) throw new RowError('durationSeconds and endedAt are both NULL');
    duration = Math.round((end.epochMs - start.epochMs) / 1000);
  }
  let talk = readSeconds('talkSeconds', get('talkSeconds'));
  const ring = readSeconds('ringSeconds', get('ringSeconds'));
  const hold = readSeconds('holdSeconds', get('holdSeconds'));

  // Outcome: the disposition text first, then a cause, then a SIP code.
  const talkSoFar = talk ?? (answer ? 1 : 0);
  let outcome = readDisposition(get('disposition'), talkSoFar);
  const cause = readCause(get('hangupCause'));
  const sipText = readText(get('sipCode'));
  let sip: ReturnType<typeof mapSipCode> = null;
  if (sipText !== null) {
    sip = /^\d{3}$/.test(sipText) ? mapSipCode(Number(sipText)) : null;
    if (!sip) throw new RowError(`sipCode ${show(get('sipCode'))} is not a SIP response code (200…699)`);
    extra.sipCode = Number(sipText);
  }
  if (!outcome && cause !== null) outcome = { cause, disposition: dispositionFromCause(cause, talkSoFar) };
  if (!outcome && sip) outcome = { cause: sip.cause, disposition: talkSoFar > 0 ? 'answered' : sip.disposition };
  const answered = outcome?.disposition === 'answered' || answer !== null || (talk ?? 0) > 0;

  if (talk === null) {
    if (answer && end) talk = Math.round((end.epochMs - answer.epochMs) / 1000);
    else if (!answered) talk = 0;
    else throw new RowError('talkSeconds is NULL for an answered call, and answeredAt or endedAt is NULL too');
  }
  if (talk > duration) throw new RowError(`talkSeconds ${talk} exceeds durationSeconds ${duration}`);
  if (!end) end = { epochMs: start.epochMs + duration * 1000, iso: clock.iso(start.epochMs + duration * 1000) };
  if (!answer && answered && talk > 0) {
    const ms = end.epochMs - talk * 1000;
    answer = { epochMs: ms, iso: clock.iso(ms) };
  }

  const call = emptyCall('sql-row', start.iso, raw);
  let callerName = readText(get('callerName'));
  let callerNumber = readText(get('callerNumber'));
  const clid = callerName !== null ? CLID.exec(callerName) : null;
  if (clid) {
    // Asterisk's clid: "Name" <number>.
    callerName = clid[1]!.trim() || null;
    callerNumber ??= clid[2]!.trim() || null;
  }
  const dialed = readText(get('dialedNumber'));
  const extension = readText(get('extension'));
  const direction = readDirection(get('direction')) ?? inferDirection(callerNumber, dialed, extension);
  call.callId = readText(get('callId'));
  call.direction = direction;
  call.answeredAt = answered ? (answer?.iso ?? start.iso) : null;
  call.endedAt = end.iso;
  call.durationSeconds = duration;
  call.talkSeconds = talk;
  call.ringSeconds = ring ?? (answer ? Math.max(0, Math.round((answer.epochMs - start.epochMs) / 1000)) : duration - talk);
  call.holdSeconds = hold;
  call.disposition = outcome?.disposition ?? (answered ? 'answered' : 'unknown');
  if (answered && call.disposition !== 'answered' && talk > 0) call.disposition = 'answered';
  call.hangupCause = cause ?? outcome?.cause ?? null;
  call.callerNumber = callerNumber;
  call.callerName = callerName;
  call.dialedNumber = dialed;
  call.calledNumber = dialed;
  call.extension = extension ?? (direction === 'inbound' ? dialed : direction === 'outbound' || direction === 'internal' ? callerNumber : null);
  call.trunk = readText(get('trunk'));
  call.accountCode = readText(get('accountCode'));
  call.transferredTo = readText(get('transferredTo'));
  call.answeredBy = readText(get('answeredBy'));
  const dispositionText = readText(get('disposition'));
  if (dispositionText !== null && !/^\d+$/.test(dispositionText)) extra.dispositionText = dispositionText;
  call.extra = extra;
  return call;
}

function localStamp(ms: number, timeZone: string): string {
  const iso = isoInZone(ms, timeZone);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The row the Asterisk preset would pull for a simulated call (values as MySQL returns them). */
function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const talk = sim.answered ? sim.talkSeconds : 0;
  const duration = sim.ringSeconds + talk;
  const inbound = sim.direction === 'inbound';
  const caller = inbound ? sim.externalNumber : sim.extension;
  const dialed = inbound ? sim.extension : sim.externalNumber;
  const disposition = sim.answered ? 'ANSWERED' : ['NO ANSWER', 'BUSY', 'NO ANSWER', 'FAILED'][sim.index % 4]!;
  const row = {
    startedAt: localStamp(sim.startedAtMs, ctx.timeZone),
    callerName: `"${sim.callerName}" <${caller}>`,
    callerNumber: caller,
    dialedNumber: dialed,
    durationSeconds: duration,
    talkSeconds: talk,
    disposition,
    accountCode: sim.accountCode ?? '',
    trunk: sim.trunk,
    callId: `1768464005.${sim.index}`,
    direction: sim.direction,
    'extra.dcontext': inbound ? 'from-trunk' : 'from-internal',
    _key: sim.index + 1,
  };
  return [JSON.stringify(row)];
}

function detect(sample: readonly string[]): number {
  let hits = 0;
  for (const line of sample) {
    const t = line.trim();
    if (t[0] !== '{') continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'startedAt' in v) hits++;
    } catch {
      // not ours
    }
  }
  return sample.length === 0 ? 0 : (0.95 * hits) / sample.length;
}

export const sqlRow: Format = {
  id: 'sql-row',
  name: 'Row of a switch CDR table (SQL pull)',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => {
    const clock = new ZoneClock(ctx.timeZone);
    return (record) => parseRow(record, clock);
  },
  render,
};
