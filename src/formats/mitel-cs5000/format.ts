import { digitsAt } from '../../core/digits.js';
import { emptyCall, type Call, type Direction } from '../../core/call.js';
import { isoInZone, isValidLocal, toIso, ZoneClock } from '../../core/time.js';
import type { Format, ParseContext, ParseResult, RecordParser, SimulatedCall } from '../format.js';

// Mitel / Inter-Tel CS-5000 and Axxess SMDR (seed 001, FORMATS.md `mitel-cs5000`).
//
// Two record layouts share one parser:
// - CS-5000 over TCP (86 bytes = 84 characters + CR LF): `R   ` + call type [4:8], extension [8:14],
//   trunk [14:20], dialled digits [20:49], start `hh:mm` [49:54], elapsed [55:63], cost [64:70],
//   account code [71:83], then `*` when the trunk disconnected first. `Q` lines are headers carrying
//   the PBX's time and date (`hh:mm:ss MM-DD-YYYY`).
// - Axxess (80 characters, serial): call type [0:3], extension [3:9], trunk [9:15], digits [15:44],
//   start [44:49], elapsed [50:59] (`S=nnn` seconds), cost [59:66], account code [66:78]; header
//   lines start with `Station` or `TYP`.
//
// Records carry no date. The parser takes the date from the last header that printed one (else the
// reference date) and rolls it forward: records are printed when a call ends, so a record whose end
// would fall well before the latest moment the stream has reached belongs to the next day.

const FORMAT_ID = 'mitel-cs5000';
const DAY_MS = 86_400_000;
/** How far a record's end may lie before the stream's latest known moment (printing is not strictly ordered). */
const ROLLOVER_TOLERANCE_MS = 2 * 3_600_000;
/** The CS-5000 record is 86 bytes on the wire: 84 characters and CR LF. */
const CS5000_WIDTH = 84;
const HEADER_TITLE = 'Q   Station Message Detailed Recording';

interface Layout {
  name: 'cs5000' | 'axxess';
  type: readonly [number, number];
  ext: readonly [number, number];
  trunk: readonly [number, number];
  digits: readonly [number, number];
  start: number;
  elapsed: readonly [number, number];
  cost: readonly [number, number];
  account: number;
}

const CS5000: Layout = {
  name: 'cs5000',
  type: [4, 8],
  ext: [8, 14],
  trunk: [14, 20],
  digits: [20, 49],
  start: 49,
  elapsed: [55, 63],
  cost: [64, 70],
  account: 70,
};

const AXXESS: Layout = {
  name: 'axxess',
  type: [0, 3],
  ext: [3, 9],
  trunk: [9, 15],
  digits: [15, 44],
  start: 44,
  elapsed: [50, 59],
  cost: [59, 66],
  account: 66,
};

/** `[a:b]` of a column, for error messages. */
function cols(l: Layout, key: 'type' | 'ext' | 'trunk' | 'digits' | 'elapsed' | 'cost'): string {
  const [a, b] = l[key];
  return `[${a}:${b}]`;
}

/** Inter-Tel call type abbreviations and the direction each means. */
const CALL_TYPES: Readonly<Record<string, Direction>> = {
  IN: 'inbound',
  DID: 'inbound',
  DSA: 'inbound', // DISA: an outside caller dialling in
  LOC: 'outbound',
  TLC: 'outbound',
  TLD: 'outbound',
  '000': 'outbound', // free (toll-free) call
  'O/I': 'outbound',
  OP: 'outbound',
  INT: 'outbound', // international
  NET: 'internal', // to or from another node of the private network
  CNF: 'unknown', // conference
};

type Fail = { error: string };
const fail = (error: string): Fail => ({ error });
const isFail = (v: unknown): v is Fail => typeof v === 'object' && v !== null && 'error' in v;



function allDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (digitsAt(s, i, 1) < 0) return false;
  return true;
}

/** Dialled digits, extensions, trunks and account codes: printable ASCII without spaces. */
function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c > 126) return false;
  }
  return true;
}

/** `hh:mm` at column `at` → minutes of the day. */
function parseStart(line: string, at: number): number | Fail {
  const h = digitsAt(line, at, 2);
  const m = digitsAt(line, at + 3, 2);
  if (h < 0 || m < 0 || line.charCodeAt(at + 2) !== 58) {
    return fail(`start time [${at}:${at + 5}] "${line.slice(at, at + 5)}" is not hh:mm`);
  }
  if (h > 23 || m > 59) return fail(`start time [${at}:${at + 5}] "${line.slice(at, at + 5)}" is not a time of day`);
  return h * 60 + m;
}

/** Elapsed time: `hh:mm:ss`, `S=nnnnnn` seconds, or `HH:MM` for calls beyond 999999 s. */
function parseElapsed(text: string, layout: Layout, complete: boolean): number | Fail {
  if (text.startsWith('S=')) {
    const n = text.slice(2);
    if (n.length <= 6 && allDigits(n)) return Number(n);
  } else if (text.length === 8 && text.charCodeAt(2) === 58 && text.charCodeAt(5) === 58) {
    const h = digitsAt(text, 0, 2);
    const m = digitsAt(text, 3, 2);
    const s = digitsAt(text, 6, 2);
    if (h >= 0 && m >= 0 && s >= 0 && m < 60 && s < 60) return h * 3600 + m * 60 + s;
  } else if (complete) {
    // `HH:MM` is also what a cut-off `hh:mm:ss` looks like, so it needs the whole column.
    const colon = text.indexOf(':');
    const h = text.slice(0, colon);
    const m = text.slice(colon + 1);
    if (colon >= 2 && m.length === 2 && allDigits(h) && allDigits(m) && Number(m) < 60) return Number(h) * 3600 + Number(m) * 60;
  }
  return fail(`elapsed ${cols(layout, 'elapsed')} "${text}" is not hh:mm:ss, S=nnnnnn or HH:MM`);
}

type Cost = { cost: number | null; overflow: boolean };

/** `$dd.dd`; above $99.99 whole dollars `$ddddd`; `$$$$$$` beyond $99999; blank when there is no cost. */
function parseCost(text: string, layout: Layout): Cost | Fail {
  if (text === '') return { cost: null, overflow: false };
  if (text === '$$$$$$') return { cost: null, overflow: true };
  if (text.charCodeAt(0) === 36 /* $ */) {
    const cents = text.length === 6 && text.charCodeAt(3) === 46 /* . */;
    const dollars = digitsAt(text, 1, 2);
    const fraction = digitsAt(text, 4, 2);
    if (cents && dollars >= 0 && fraction >= 0) return { cost: dollars + fraction / 100, overflow: false };
    const whole = text.slice(1);
    if (whole.length <= 5 && allDigits(whole)) return { cost: Number(whole), overflow: false };
  }
  return fail(`cost ${cols(layout, 'cost')} "${text}" is not $dd.dd`);
}

interface Fields {
  layout: Layout;
  callType: string;
  direction: Direction;
  /** null for an unanswered ring-in (`*****`). */
  extension: string | null;
  ringIn: boolean;
  trunk: string | null;
  digits: string | null;
  digitsOverflow: boolean;
  startMinute: number;
  elapsed: number;
  cost: number | null;
  costOverflow: boolean;
  accountCode: string | null;
  trunkDisconnect: boolean;
}

function readFields(line: string, layout: Layout): Fields | Fail {
  // Trailing spaces may be trimmed, but the TCP layout always prints the whole elapsed column.
  const minLength = layout.name === 'cs5000' ? layout.elapsed[1] : layout.elapsed[0] + 1;
  if (line.length < minLength) {
    const where = layout.name === 'cs5000' ? 'the end of the elapsed time' : 'the elapsed time';
    return fail(`record is ${line.length} characters, truncated before ${where} ${cols(layout, 'elapsed')}`);
  }
  const callType = line.slice(layout.type[0], layout.type[1]).trim();
  let direction = CALL_TYPES[callType];
  if (direction === undefined) {
    // The TCP layout is marked by its `R`; an unlisted call type there is kept, not guessed at.
    const plausible = layout.name === 'cs5000' && /^[A-Z0-9/]{2,3}$/.test(callType);
    if (!plausible) return fail(`call type ${cols(layout, 'type')} "${callType}" is not a known call type`);
    direction = 'unknown';
  }
  const ext = line.slice(layout.ext[0], layout.ext[1]).trim();
  if (!isToken(ext)) return fail(`extension ${cols(layout, 'ext')} "${ext}" is not an extension number`);
  const ringIn = ext.charCodeAt(0) === 42 && /^\*+$/.test(ext);
  const trunk = line.slice(layout.trunk[0], layout.trunk[1]).trim();
  if (!isToken(trunk)) return fail(`trunk ${cols(layout, 'trunk')} "${trunk}" is not a trunk number`);
  let digits = line.slice(layout.digits[0], layout.digits[1]).trim();
  if (!isToken(digits)) return fail(`dialled digits ${cols(layout, 'digits')} "${digits}" contain spaces or control characters`);
  const digitsOverflow = digits.endsWith('>');
  if (digitsOverflow) digits = digits.slice(0, -1);

  const startMinute = parseStart(line, layout.start);
  if (isFail(startMinute)) return startMinute;
  if (line.charCodeAt(layout.start + 5) !== 32) return fail(`no space after the start time at column ${layout.start + 5}`);
  const elapsedText = line.slice(layout.start + 5, layout.elapsed[1]).trim();
  const elapsed = parseElapsed(elapsedText, layout, line.length >= layout.elapsed[1]);
  if (isFail(elapsed)) return elapsed;
  const cost = parseCost(line.slice(layout.elapsed[1], layout.cost[1]).trim(), layout);
  if (isFail(cost)) return cost;

  let account = line.slice(layout.account).trim();
  const trunkDisconnect = account.endsWith('*');
  if (trunkDisconnect) account = account.slice(0, -1).trimEnd();
  if (account !== '' && !allDigits(account)) return fail(`account code [${layout.account}:] "${account}" is not digits`);

  return {
    layout,
    callType,
    direction,
    extension: ringIn || ext === '' ? null : ext,
    ringIn,
    trunk: trunk || null,
    digits: digits || null,
    digitsOverflow,
    startMinute,
    elapsed,
    cost: cost.cost,
    costOverflow: cost.overflow,
    accountCode: account || null,
    trunkDisconnect,
  };
}

/** A date as days since 1970-01-01 (UTC arithmetic on the local calendar). */
type DayNumber = number;

function dayOf(year: number, month: number, day: number): DayNumber {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function refDay(referenceDate: string): DayNumber | null {
  const y = Number(referenceDate.slice(0, 4));
  const m = digitsAt(referenceDate, 5, 2);
  const d = digitsAt(referenceDate, 8, 2);
  if (referenceDate.length !== 10 || !Number.isInteger(y) || !isValidLocal({ year: y, month: m, day: d, hour: 0, minute: 0, second: 0 })) {
    return null;
  }
  return dayOf(y, m, d);
}

/** `s` has a digit wherever `pattern` has `d`, and the same character elsewhere. */
function matches(s: string, at: number, pattern: string): boolean {
  if (at < 0) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern.charCodeAt(i);
    if (p === 100 /* d */ ? digitsAt(s, at + i, 1) < 0 : s.charCodeAt(at + i) !== p) return false;
  }
  return true;
}

/**
 * The moment a header line prints, `hh:mm:ss MM-DD-YYYY` (or `-YY`) at its end, as naive local
 * milliseconds. Inter-Tel prints month first; a first number above 12 can only be a day.
 */
function headerMoment(line: string): number | Fail | null {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) <= 32) end--;
  let at = end - 19;
  let year: number;
  if (matches(line, at, 'dd:dd:dd dd-dd-dddd')) {
    year = Number(line.slice(end - 4, end));
  } else if (matches(line, (at = end - 17), 'dd:dd:dd dd-dd-dd')) {
    year = 2000 + digitsAt(line, end - 2, 2);
  } else {
    return null;
  }
  let month = digitsAt(line, at + 9, 2);
  let day = digitsAt(line, at + 12, 2);
  if (month > 12 && day <= 12) [month, day] = [day, month];
  const t = { year, month, day, hour: digitsAt(line, at, 2), minute: digitsAt(line, at + 3, 2), second: digitsAt(line, at + 6, 2) };
  if (!isValidLocal(t)) return fail(`header date and time "${line.slice(at, end)}" is not a real date and time`);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

function isAxxessHeader(line: string): boolean {
  return line.startsWith('Station') || line.startsWith('TYP');
}

/** Leading NUL/STX/XON… bytes some serial links add. */
function stripControl(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.charCodeAt(0) < 32 ? line.replace(/^[\u0000-\u001f]+/, '') : line;
}

class Cs5000Parser {
  /** Naive local milliseconds of the latest moment the stream is known to have reached. */
  private anchor: number | null = null;
  private readonly fallbackDay: DayNumber | null;
  private readonly clock: ZoneClock;

  constructor(private readonly ctx: ParseContext) {
    this.fallbackDay = refDay(ctx.referenceDate);
    this.clock = new ZoneClock(ctx.timeZone);
  }

  parse(record: string): ParseResult {
    const line = stripControl(record);
    if (line.length === 0) return { kind: 'error', error: 'empty record' };
    const first = line.charCodeAt(0);
    if (first === 81 /* Q */ && line.startsWith('Q   ')) return this.header(line, 'Q header');
    if (isAxxessHeader(line)) return this.header(line, 'Axxess page header');
    const layout = first === 82 /* R */ && line.startsWith('R   ') ? CS5000 : AXXESS;
    const fields = readFields(line, layout);
    if (isFail(fields)) return { kind: 'error', error: fields.error };
    return this.call(fields, record);
  }

  private header(line: string, what: string): ParseResult {
    const moment = headerMoment(line);
    if (isFail(moment)) return { kind: 'error', error: `${what}: ${moment.error}` };
    if (moment === null) {
      if (line[0] === 'Q') return { kind: 'error', error: 'Q header has no time and date (hh:mm:ss MM-DD-YYYY) at its end' };
      return { kind: 'skip', reason: what };
    }
    this.anchor = moment;
    return { kind: 'skip', reason: `${what} (clock ${line.trim().slice(-19)})` };
  }

  /** The naive local start of a record: the day that puts its end at or after the stream's position. */
  private startNaive(startMinute: number, elapsed: number): number | null {
    const sinceMidnight = startMinute * 60_000;
    if (this.anchor === null) {
      if (this.fallbackDay === null) return null;
      return this.fallbackDay * DAY_MS + sinceMidnight;
    }
    const anchorDay = Math.floor(this.anchor / DAY_MS);
    const endOnAnchorDay = anchorDay * DAY_MS + sinceMidnight + elapsed * 1000;
    const shift = Math.ceil((this.anchor - ROLLOVER_TOLERANCE_MS - endOnAnchorDay) / DAY_MS);
    return (anchorDay + shift) * DAY_MS + sinceMidnight;
  }

  private call(f: Fields, raw: string): ParseResult {
    const naive = this.startNaive(f.startMinute, f.elapsed);
    if (naive === null) return { kind: 'error', error: `reference date "${this.ctx.referenceDate}" is not YYYY-MM-DD` };
    const end = naive + f.elapsed * 1000;
    if (this.anchor === null || end > this.anchor) this.anchor = end;

    const start = this.clock.fromNaive(naive);
    const call: Call = emptyCall(FORMAT_ID, toIso(start.epochMs, start.offsetMinutes), raw);
    call.endedAt = this.clock.iso(start.epochMs + f.elapsed * 1000);
    call.direction = f.direction;
    call.extension = f.extension;
    call.trunk = f.trunk;
    call.accountCode = f.accountCode;
    call.durationSeconds = f.elapsed;
    if (f.direction === 'inbound') {
      // Incoming records show the caller id (or the DID/DNIS digits, by the trunk's service type).
      call.callerNumber = f.digits;
      call.calledNumber = f.extension;
    } else {
      call.callerNumber = f.extension;
      call.dialedNumber = f.digits;
      call.calledNumber = f.digits;
    }
    if (f.ringIn) {
      call.disposition = 'no_answer';
      call.ringSeconds = f.elapsed;
    } else if (f.elapsed > 0) {
      // START is when the call became valid; the switch reports no separate ring time.
      call.disposition = 'answered';
      call.answeredAt = call.startedAt;
      call.talkSeconds = f.elapsed;
    }
    call.extra.callType = f.callType;
    call.extra.layout = f.layout.name;
    if (f.cost !== null) call.extra.cost = f.cost;
    if (f.costOverflow) call.extra.costOverflow = true;
    if (f.trunkDisconnect) call.extra.trunkDisconnect = true;
    if (f.digitsOverflow) call.extra.digitsTruncated = true;
    return { kind: 'call', call };
  }
}

function createParser(ctx: ParseContext): RecordParser {
  const parser = new Cs5000Parser(ctx);
  return (record) => parser.parse(record);
}

const HHMM = /^\d{2}:\d{2}$/;
const AXXESS_ELAPSED = /^(S=\d{1,6}|\d{2}:\d{2}:\d{2}|\d{2,}:\d{2})$/;

function detectLine(line: string): boolean {
  const l = stripControl(line);
  if (l.startsWith(HEADER_TITLE) || l.startsWith('Station Message Detail')) return true;
  if (l.startsWith('TYP') && l.includes('DIALED DIGITS')) return true;
  if (l.startsWith('R   ')) return HHMM.test(l.slice(49, 54)) && /^[A-Z0-9/]{2,3}$/.test(l.slice(4, 8).trim());
  const type = l.slice(0, 3).trim();
  return (
    CALL_TYPES[type] !== undefined &&
    HHMM.test(l.slice(44, 49)) &&
    AXXESS_ELAPSED.test(l.slice(49, 59).trim())
  );
}

function detect(sample: readonly string[]): number {
  if (sample.length === 0) return 0;
  let hits = 0;
  for (const line of sample) if (detectLine(line)) hits++;
  return (0.95 * hits) / sample.length;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s.slice(0, width) : s + ' '.repeat(width - s.length);
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function elapsedText(seconds: number): string {
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}

/** A Q header stamped with a local ISO time. */
export function renderHeader(localIso: string): string {
  const stamp = `${localIso.slice(11, 19)} ${localIso.slice(5, 7)}-${localIso.slice(8, 10)}-${localIso.slice(0, 4)}`;
  return pad(pad(HEADER_TITLE, 64) + stamp, CS5000_WIDTH);
}

/** The 84 characters of a CS-5000 record (the switch adds CR LF). */
export function renderRecord(r: {
  callType: string;
  extension: string;
  trunk: string;
  digits: string;
  start: string;
  elapsedSeconds: number;
  cost: number | null;
  accountCode: string | null;
  trunkDisconnect?: boolean;
}): string {
  const cost = r.cost === null ? '' : '$' + r.cost.toFixed(2).padStart(5, '0');
  return pad(
    'R   ' +
      pad(r.callType, 4) +
      pad(r.extension, 6) +
      pad(r.trunk, 6) +
      pad(r.digits, 29) +
      r.start +
      ' ' +
      elapsedText(r.elapsedSeconds) +
      ' ' +
      pad(cost, 6) +
      ' ' +
      pad(r.accountCode ?? '', 12) +
      (r.trunkDisconnect ? '*' : ''),
    CS5000_WIDTH,
  );
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const talk = sim.answered ? sim.talkSeconds : 0;
  const inbound = sim.direction === 'inbound';
  // An unanswered ring-in prints `*****` for the extension and how long it rang; other unanswered
  // calls print no elapsed time.
  const elapsed = sim.answered ? talk : inbound ? sim.ringSeconds : 0;
  const startIso = isoInZone(sim.startedAtMs, ctx.timeZone);
  const endIso = isoInZone(sim.startedAtMs + elapsed * 1000, ctx.timeZone);
  const callType = inbound ? 'IN' : sim.direction === 'internal' ? 'NET' : sim.externalNumber.startsWith('00') ? 'INT' : 'TLD';
  const cost = sim.direction === 'outbound' ? Math.ceil(talk / 60) * 0.05 : 0;
  const record = renderRecord({
    callType,
    extension: inbound && !sim.answered ? '*****' : sim.extension,
    trunk: sim.direction === 'internal' ? 'P0001' : '920' + sim.trunk,
    digits: sim.externalNumber,
    start: startIso.slice(11, 16),
    elapsedSeconds: elapsed,
    cost,
    accountCode: sim.accountCode,
    trunkDisconnect: inbound && !sim.answered,
  });
  return [renderHeader(endIso), record];
}

export const mitelCs5000: Format = {
  id: FORMAT_ID,
  name: 'Mitel/Inter-Tel CS-5000 and Axxess SMDR',
  framing: { kind: 'lines' },
  dedupe: 'record-hash',
  startPrecisionSeconds: 60,
  detect,
  createParser,
  render,
};
