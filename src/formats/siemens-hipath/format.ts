import { digitsAt } from '../../core/digits.js';
import { emptyCall, type Call, type Direction, type Disposition } from '../../core/call.js';
import { fieldAt } from '../../core/text.js';
import { isoInZone, ZoneClock } from '../../core/time.js';
import type { Format, ParseContext, ParseResult, RecordParser, SimulatedCall } from '../format.js';

// Siemens HiPath / OpenScape Business call-charge output on the serial port, compressed form
// (FORMATS.md "siemens-hipath"). One record per call, 76 characters, more when an account code or
// MSN follows:
//   [0:8] date dd.mm.yy  [8:16] time hh:mm:ss — when the call ENDED
//   [16:19] trunk  [19:25] extension  [25:30] ring time mm:ss  [30:38] duration hh:mm:ss
//   [38:63] number (the caller's on incoming calls, the dialled one on outgoing)
//   [63:74] charge units  [74:76] call type and additional information
//   [76:87] account (project) code  [87:98] MSN  [98:] whatever the version appends
// The start is end − ring − duration.

const MIN_LENGTH = 75; // the call type may be one character, its padding trimmed

/** Direction by call type, the first character of [74:76] (the second is additional information). */
const CALL_TYPES: Readonly<Record<string, Direction>> = {
  '1': 'inbound', // incoming voice call
  '2': 'outbound', // outgoing voice call
  '3': 'inbound', // incoming data call
  '4': 'outbound', // outgoing data call
  '5': 'inbound', // incoming forwarded call
  '6': 'outbound', // outgoing forwarded call
  '7': 'inbound', // conference with an incoming call
  '8': 'outbound', // conference with an outgoing call
  '9': 'unknown', // diversion or transfer to an external destination: which way it counts is not said
};



/** `hh:mm:ss` at i in seconds (hours to 99, so calls over a day fit), or -1. */
function hms(s: string, i: number): number {
  if (s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return -1;
  const h = digitsAt(s, i, 2);
  const m = digitsAt(s, i + 3, 2);
  const sec = digitsAt(s, i + 6, 2);
  if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59) return -1;
  return h * 3600 + m * 60 + sec;
}

/** Ring time at [25:30]: `mm:ss`, or seconds right-aligned; null when blank, -1 when malformed. */
function ringTime(s: string): number | null {
  const text = fieldAt(s, 25, 30);
  if (text === null) return null;
  if (text.length === 5 && text.charCodeAt(2) === 58) {
    const m = digitsAt(text, 0, 2);
    const sec = digitsAt(text, 3, 2);
    return m < 0 || sec < 0 || sec > 59 ? -1 : m * 60 + sec;
  }
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = digitsAt(text, i, 1);
    if (d < 0) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 42 || c === 35 || c === 43 || c === 63; // 0-9 * # + ?(suppressed)
}

function allOf(s: string, test: (c: number) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!test(s.charCodeAt(i))) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isDigits(s: string): boolean {
  return s.length > 0 && allOf(s, isDigit);
}

/** DLE, STX, ETX, XON and XOFF: serial flow control and framing bytes, not record text. */
function isControl(c: number): boolean {
  return c === 2 || c === 3 || c === 16 || c === 17 || c === 19;
}

/** The characters isControl names; a regex test scans a record faster than a loop over its characters. */
const HAS_CONTROL = /[\x02\x03\x10\x11\x13]/;

function stripControl(raw: string): string {
  if (!HAS_CONTROL.test(raw)) return raw;
  let out = '';
  for (let j = 0; j < raw.length; j++) if (!isControl(raw.charCodeAt(j))) out += raw[j];
  return out;
}

// ---- records ----------------------------------------------------------------------------------

function error(message: string): ParseResult {
  return { kind: 'error', error: message };
}

function daysIn(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Charge units [63:74]: pulses in the compressed form; an amount (`1,23`) on some versions. */
function chargeUnits(text: string): number | null | string {
  if (text === '') return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = digitsAt(text, i, 1);
    if (d < 0) {
      const amount = Number(text.replace(',', '.'));
      return /^\d+[.,]\d+$/.test(text) ? amount : `charge units [63:74] "${text}" is not a number`;
    }
    n = n * 10 + d;
  }
  return n;
}

function isCodeChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function parseRecord(raw: string, ctx: ParseContext, clock: ZoneClock): ParseResult {
  const line = stripControl(raw);
  if (!isDigit(line.charCodeAt(0)) && line.trim() === '') return { kind: 'skip', reason: line === raw ? 'empty line' : 'serial control bytes only' };
  const day = digitsAt(line, 0, 2);
  const month = digitsAt(line, 3, 2);
  const yy = digitsAt(line, 6, 2);
  if (day < 1 || month < 1 || month > 12 || yy < 0 || line.charCodeAt(2) !== 46 || line.charCodeAt(5) !== 46) {
    return error(`end date [0:8] "${line.slice(0, 8)}" is not dd.mm.yy`);
  }
  const year = 2000 + yy;
  if (day > daysIn(year, month)) return error(`end date [0:8] "${line.slice(0, 8)}" is not a real date`);
  const endSecond = hms(line, 8);
  if (endSecond < 0 || endSecond >= 86_400) return error(`end time [8:16] "${line.slice(8, 16)}" is not hh:mm:ss`);
  if (line.length < MIN_LENGTH) return error(`record is ${line.length} characters, shorter than the 76 of the layout (cut off?)`);

  const type = fieldAt(line, 74, 76) ?? '';
  if (type === '' || !allOf(type, isCodeChar)) return error(`call type [74:76] "${line.slice(74, 76)}" is not a code`);
  if (type[0] === '0') return { kind: 'skip', reason: 'call type 0: information record sent when an incoming call starts ringing, not a call' };

  const ring = ringTime(line);
  if (ring === -1) return error(`ring time [25:30] "${line.slice(25, 30)}" is not mm:ss`);
  const talk = hms(line, 30);
  if (talk < 0) return error(`duration [30:38] "${line.slice(30, 38)}" is not hh:mm:ss`);
  const number = fieldAt(line, 38, 63) ?? '';
  if (!allOf(number, isNumberChar)) return error(`number [38:63] "${number}" is not a telephone number`);
  const units = chargeUnits(fieldAt(line, 63, 74) ?? '');
  if (typeof units === 'string') return error(units);

  const trunk = fieldAt(line, 16, 19) ?? '';
  const extension = fieldAt(line, 19, 25);
  // Calls between stations seize no trunk; with a station-length number that is an internal call.
  let direction: Direction = CALL_TYPES[type[0]!] ?? 'unknown';
  if (trunk === '' && number.length <= 6 && isDigits(number)) direction = 'internal';

  const end = clock.instant(year, month, day, endSecond);
  const ringBefore = ring ?? 0;
  const startMs = end.epochMs - (ringBefore + talk) * 1000;
  let disposition: Disposition = 'unknown';
  if (talk > 0) disposition = 'answered';
  else if (ringBefore > 0 || direction === 'inbound') disposition = 'no_answer';

  const call: Call = emptyCall('siemens-hipath', clock.iso(startMs), raw);
  call.direction = direction;
  call.answeredAt = talk > 0 ? clock.iso(end.epochMs - talk * 1000) : null;
  call.endedAt = clock.iso(end.epochMs);
  call.ringSeconds = ring;
  call.talkSeconds = talk;
  call.durationSeconds = ringBefore + talk;
  call.disposition = disposition;
  const external = number || null;
  if (direction === 'inbound') {
    call.callerNumber = external;
  } else {
    call.callerNumber = extension;
    call.dialedNumber = external;
    call.calledNumber = external;
  }
  call.extension = extension;
  call.trunk = trunk || null;

  const extra = call.extra;
  extra.callType = type;
  if (units !== null) extra.chargeUnits = units;
  if (line.length > 76) {
    call.accountCode = line.slice(76, 87).trim() || null;
    const msn = line.slice(87, 98).trim();
    if (msn) extra.msn = msn;
    const tail = line.slice(98).trim();
    if (tail) extra.trailing = tail;
  }
  if (number.includes('?')) extra.digitsSuppressed = true;
  return { kind: 'call', call };
}

function createParser(ctx: ParseContext): RecordParser {
  const clock = new ZoneClock(ctx.timeZone);
  return (record) => parseRecord(record, ctx, clock);
}

// ---- detection ---------------------------------------------------------------------------------

function looksLikeRecord(line: string): boolean {
  return (
    line.length >= MIN_LENGTH &&
    line.charCodeAt(2) === 46 &&
    line.charCodeAt(5) === 46 &&
    digitsAt(line, 0, 2) >= 0 &&
    digitsAt(line, 3, 2) >= 0 &&
    digitsAt(line, 6, 2) >= 0 &&
    hms(line, 8) >= 0 &&
    hms(line, 30) >= 0 &&
    line.slice(74, 76).trim() !== ''
  );
}

function detect(sample: readonly string[]): number {
  let records = 0;
  let hits = 0;
  for (const raw of sample) {
    const line = stripControl(raw);
    if (line.trim() === '') continue;
    records++;
    if (looksLikeRecord(line)) hits++;
  }
  return records === 0 ? 0 : (0.95 * hits) / records;
}

// ---- rendering ---------------------------------------------------------------------------------

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const talk = sim.answered ? sim.talkSeconds : 0;
  const endMs = sim.startedAtMs + (sim.ringSeconds + talk) * 1000;
  const iso = isoInZone(endMs, ctx.timeZone);
  const end = `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(2, 4)}${iso.slice(11, 19)}`;
  const internal = sim.direction === 'internal';
  const trunk = internal ? '' : String(Number(sim.trunk));
  const ring = `${pad2(Math.min(99, Math.floor(sim.ringSeconds / 60)))}:${pad2(sim.ringSeconds % 60)}`;
  const duration = `${pad2(Math.floor(talk / 3600))}:${pad2(Math.floor(talk / 60) % 60)}:${pad2(talk % 60)}`;
  const units = sim.direction === 'outbound' ? Math.ceil(talk / 60) : 0;
  const type = sim.direction === 'inbound' ? '1' : '2';
  let line =
    `${end}${trunk.padStart(3)}${sim.extension.padStart(6)}${ring}${duration}` +
    `${sim.externalNumber.slice(0, 25).padEnd(25)}${String(units).padStart(11)}${type.padStart(2)}`;
  if (sim.accountCode) line += sim.accountCode.padEnd(11);
  return [line];
}

export const siemensHipath: Format = {
  id: 'siemens-hipath',
  name: 'Siemens HiPath / OpenScape Business call charges',
  framing: { kind: 'lines' },
  dedupe: 'record-hash',
  detect,
  createParser,
  render,
};
