import { digitsAt } from '../../core/digits.js';
import { emptyCall, type Call, type Direction, type Disposition } from '../../core/call.js';
import { fieldAt, isBlank } from '../../core/text.js';
import { isoInZone, ZoneClock } from '../../core/time.js';
import type { Format, ParseContext, ParseResult, RecordParser, SimulatedCall } from '../format.js';

// Panasonic KX-TA/TD/TDA/TDE/NS SMDR, the "print" format (FORMATS.md "panasonic"): one line per
// call in fixed columns, written for a printer, so page headers, dash lines and form feeds come
// between the records. The printed time is the start of the call in whole minutes.
//
// Three column patterns, told apart by where the duration `hh:mm'ss` stands:
//   80 columns           date [0:8] time [9:16] ext [17:22] CO [23:25] dial [26:51] ring [52:56] duration [57:65] acc [66:76] CD [77:79]
//   80 columns + charge  date, time, ext, CO as above,      dial [26:46] duration [47:55] cost [56:66] acc [67:77] CD [78:80]
//   120 columns          date, time, ext as above, CO [23:27] dial [28:78] ring [79:83] duration [84:92] cost [93:104] acc [105:115] CD [116:118]
// Cost is `00560.00` followed by the currency (`EU` in the 80-column pattern, `EUR` in the wide one).

export const HEADER = '  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD';
export const SEPARATOR = '-'.repeat(79);

interface Layout {
  name: '80' | '80-charge' | '120';
  co: number;
  coEnd: number;
  dial: number;
  dialEnd: number;
  /** Start of the ring column, or -1 when the pattern has none. */
  ring: number;
  duration: number;
  /** Start and end of the cost column, or -1 when the pattern has none. */
  cost: number;
  costEnd: number;
  acc: number;
  accEnd: number;
  cd: number;
}

const NARROW: Layout = { name: '80', co: 23, coEnd: 25, dial: 26, dialEnd: 51, ring: 52, duration: 57, cost: -1, costEnd: -1, acc: 66, accEnd: 76, cd: 77 };
const CHARGE: Layout = { name: '80-charge', co: 23, coEnd: 25, dial: 26, dialEnd: 46, ring: -1, duration: 47, cost: 56, costEnd: 66, acc: 67, accEnd: 77, cd: 78 };
const WIDE: Layout = { name: '120', co: 23, coEnd: 27, dial: 28, dialEnd: 78, ring: 79, duration: 84, cost: 93, costEnd: 104, acc: 105, accEnd: 115, cd: 116 };
const LAYOUTS: readonly Layout[] = [NARROW, CHARGE, WIDE];

const SPACE = 32;
const FORM_FEED = 12;



/** `hh:mm'ss` at i, in seconds, or -1. Hours run to 99, so a call longer than a day still fits. */
function durationAt(s: string, i: number): number {
  if (s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 39) return -1;
  const h = digitsAt(s, i, 2);
  const m = digitsAt(s, i + 3, 2);
  const sec = digitsAt(s, i + 6, 2);
  if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59) return -1;
  return h * 3600 + m * 60 + sec;
}

function layoutOf(line: string): Layout | null {
  for (const layout of LAYOUTS) if (durationAt(line, layout.duration) >= 0) return layout;
  return null;
}

/** Ring time `m'ss` (right-aligned in four columns), in seconds; null when blank; -1 when malformed. */
function ringAt(s: string, i: number): number | null {
  const text = fieldAt(s, i, i + 4);
  if (text === null) return null;
  const q = text.indexOf("'");
  if (q < 1 || q !== text.length - 3) return -1;
  let minutes = 0;
  for (let k = 0; k < q; k++) {
    const d = digitsAt(text, k, 1);
    if (d < 0) return -1;
    minutes = minutes * 10 + d;
  }
  const sec = digitsAt(text, q + 1, 2);
  return sec < 0 || sec > 59 ? -1 : minutes * 60 + sec;
}

// ---- dates ----------------------------------------------------------------------------------

/**
 * Which of the first two date fields is the month. A switch prints MM/DD/YY or DD/MM/YY by its
 * country setting, and a Format cannot be given an option, so the order is read from the records:
 *   1. the record itself, when one field is above 12 (`25/01/26` can only be DD/MM);
 *   2. otherwise the order an earlier record of the same stream proved (a switch does not change
 *      its country setting between two lines, and the journal replays a stream in order);
 *   3. otherwise the reference date (the day the record arrived): a reading that lies in the
 *      future is dropped when the other one does not;
 *   4. otherwise MM/DD/YY, the factory default.
 */
type DateOrder = 'MM/DD/YY' | 'DD/MM/YY';
type OrderSource = 'record' | 'stream' | 'reference-date' | 'default';

interface StreamState {
  order: DateOrder | null;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
  order: DateOrder;
  source: OrderSource;
}

function daysIn(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function notInFuture(year: number, month: number, day: number, referenceDate: string): boolean {
  const ref = Date.UTC(+referenceDate.slice(0, 4), +referenceDate.slice(5, 7) - 1, +referenceDate.slice(8, 10));
  // A day of slack: the switch's clock and the collector's may sit either side of midnight.
  return Number.isNaN(ref) || Date.UTC(year, month - 1, day) <= ref + 86_400_000;
}

function readDate(line: string, state: StreamState, ctx: ParseContext): LocalDate | string {
  const a = digitsAt(line, 0, 2);
  const b = digitsAt(line, 3, 2);
  const yy = digitsAt(line, 6, 2);
  if (a < 1 || b < 1 || yy < 0 || line.charCodeAt(2) !== 47 || line.charCodeAt(5) !== 47) {
    return `date [0:8] "${line.slice(0, 8)}" is not MM/DD/YY or DD/MM/YY`;
  }
  const year = yy >= 70 ? 1900 + yy : 2000 + yy;
  let order: DateOrder;
  let source: OrderSource;
  if (a > 12 && b > 12) return `date [0:8] "${line.slice(0, 8)}" has no field that can be the month`;
  if (a > 12 || b > 12) {
    order = a > 12 ? 'DD/MM/YY' : 'MM/DD/YY';
    source = 'record';
    state.order = order;
  } else if (a === b) {
    order = state.order ?? 'MM/DD/YY';
    source = 'record';
  } else if (state.order) {
    order = state.order;
    source = 'stream';
  } else {
    const mdyOk = notInFuture(year, a, b, ctx.referenceDate);
    const dmyOk = notInFuture(year, b, a, ctx.referenceDate);
    order = dmyOk && !mdyOk ? 'DD/MM/YY' : 'MM/DD/YY';
    source = mdyOk !== dmyOk ? 'reference-date' : 'default';
  }
  const month = order === 'MM/DD/YY' ? a : b;
  const day = order === 'MM/DD/YY' ? b : a;
  if (day > daysIn(year, month)) return `date [0:8] "${line.slice(0, 8)}" read as ${order} is not a real date`;
  return { year, month, day, order, source };
}

/** `hh:mmAM` at [9:16] (the hour may be one digit, padded with a space), as minutes after midnight. */
function readTime(line: string): number | string {
  const h1 = line.charCodeAt(9) === SPACE ? 0 : digitsAt(line, 9, 1);
  const h2 = digitsAt(line, 10, 1);
  const m = digitsAt(line, 12, 2);
  const ampm = line.slice(14, 16);
  const hour12 = h1 * 10 + h2;
  if (h1 < 0 || h2 < 0 || line.charCodeAt(11) !== 58 || m < 0 || m > 59 || hour12 < 1 || hour12 > 12 || (ampm !== 'AM' && ampm !== 'PM')) {
    return `time [9:16] "${line.slice(9, 16)}" is not hh:mmAM or hh:mmPM`;
  }
  return ((hour12 % 12) + (ampm === 'PM' ? 12 : 0)) * 60 + m;
}

// ---- the dial number column ----------------------------------------------------------------------

interface Dial {
  direction: Direction;
  callerNumber: string | null;
  callerName: string | null;
  dialed: string | null;
  /** A name the switch printed with an outgoing number (speed-dial name). */
  dialedName: string | null;
  /** The DDI/DID/MSN text after `<D>`. */
  ddi: string | null;
  /** Markers other than `<I>` and `<D>`. */
  markers: string | null;
  /** Digits the transfer target keyed after the `-` of a transferred outgoing call. */
  afterTransfer: string | null;
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 42 || c === 35 || c === 43; // 0-9 * # +
}

/** Characters of a dialled string: digits, * # +, P pause, F flash, X privacy, = host PBX, . secret, - transfer. */
function isDialChar(c: number): boolean {
  return isNumberChar(c) || c === 80 || c === 70 || c === 88 || c === 61 || c === 46 || c === 45;
}

function allOf(s: string, test: (c: number) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!test(s.charCodeAt(i))) return false;
  return s.length > 0;
}

/** Splits `ABC COMPANY12345678`, `12345678 MARY WARD` or either half alone into name and number. */
function nameAndNumber(text: string): { name: string | null; number: string | null } {
  if (text === '') return { name: null, number: null };
  if (allOf(text, isNumberChar)) return { name: null, number: text };
  let tail = text.length;
  while (tail > 0 && isNumberChar(text.charCodeAt(tail - 1))) tail--;
  if (tail < text.length) return { name: text.slice(0, tail).trim() || null, number: text.slice(tail) };
  let head = 0;
  while (head < text.length && isNumberChar(text.charCodeAt(head))) head++;
  if (head > 0 && text.charCodeAt(head) === SPACE) return { number: text.slice(0, head), name: text.slice(head).trim() };
  return { name: text, number: null };
}

function dialWith(direction: Direction): Dial {
  return { direction, callerNumber: null, callerName: null, dialed: null, dialedName: null, ddi: null, markers: null, afterTransfer: null };
}

/** `<D>CDE9876<I>Q COMPANY`: `<I>` caller, `<D>` DDI, other markers kept; TA models print `< incoming >`. */
function readMarked(field: string): Dial {
  const dial = dialWith('unknown');
  const others: string[] = [];
  let i = 0;
  while (i < field.length) {
    const close = field.indexOf('>', i);
    if (field.charCodeAt(i) !== 60 || close < 0) break;
    const tag = field.slice(i + 1, close).trim();
    const next = field.indexOf('<', close + 1);
    const value = field.slice(close + 1, next < 0 ? field.length : next).trim();
    i = next < 0 ? field.length : next;
    if (tag === 'D') {
      dial.direction = 'inbound';
      dial.ddi = value || null;
      dial.dialed = nameAndNumber(value).number;
    } else if (tag === 'I' || /incoming/i.test(tag)) {
      const caller = nameAndNumber(value);
      dial.direction = 'inbound';
      dial.callerName = caller.name;
      dial.callerNumber = caller.number;
      if (tag !== 'I') others.push(tag);
    } else {
      others.push(value ? `${tag}:${value}` : tag);
    }
  }
  if (i < field.length) others.push(field.slice(i).trim());
  dial.markers = others.length ? others.join(' ') : null;
  return dial;
}

function readOutgoing(field: string, coBlank: boolean): Dial {
  // Intercom calls print the extension with `EXT` (`EXT1235`).
  if (field.startsWith('EXT') && allOf(field.slice(3), isNumberChar)) return { ...dialWith('internal'), dialed: field.slice(3) };
  if (field.endsWith('EXT') && allOf(field.slice(0, -3), isNumberChar)) return { ...dialWith('internal'), dialed: field.slice(0, -3) };
  if (field === '') return dialWith(coBlank ? 'unknown' : 'outbound');
  const dial = dialWith('outbound');
  let number = field;
  if (!allOf(field, isDialChar)) {
    const split = nameAndNumber(field);
    dial.dialedName = split.name;
    number = split.number ?? '';
  }
  // `-` ends the dialled number of a transferred call; what the transfer target keyed follows it.
  const dash = number.indexOf('-');
  if (dash > 0) {
    dial.afterTransfer = number.slice(dash + 1) || null;
    number = number.slice(0, dash);
  }
  dial.dialed = number || null;
  // Without a CO line, a short all-digit number is another extension.
  if (coBlank && number.length <= 5 && allOf(number, isNumberChar)) dial.direction = 'internal';
  return dial;
}

function readDial(field: string, coBlank: boolean): Dial {
  return field.charCodeAt(0) === 60 ? readMarked(field) : readOutgoing(field, coBlank);
}

/** Text that is neither a number nor a marker: log-in/out, absent messages, timed reminders… */
function isStatusText(field: string): boolean {
  const c = field.charCodeAt(0);
  return field !== '' && c !== 60 && !isDialChar(c) && !field.startsWith('EXT');
}

// ---- cost -------------------------------------------------------------------------------------

/** `00560.00EUR` → 560 and `EUR`; null when blank; a string when malformed. */
function readCost(text: string, column: string): { cost: number; currency: string | null } | null | string {
  if (text === '') return null;
  let end = 0;
  while (end < text.length && (digitsAt(text, end, 1) >= 0 || text.charCodeAt(end) === 46 || text.charCodeAt(end) === 44)) end++;
  const cost = Number(text.slice(0, end).replace(',', '.'));
  const currency = text.slice(end).trim();
  if (end === 0 || !Number.isFinite(cost) || !/^[A-Za-z$€£¥]*$/.test(currency)) return `cost ${column} "${text}" is not an amount and currency`;
  return { cost, currency: currency || null };
}

// ---- records ----------------------------------------------------------------------------------

function nonRecord(line: string, hadFormFeed: boolean): ParseResult {
  const t = line.trim();
  if (t === '') return { kind: 'skip', reason: hadFormFeed ? 'page break (form feed)' : 'empty line' };
  if (/^[-=_ ]+$/.test(t)) return { kind: 'skip', reason: 'separator line' };
  if (/^date\s+time\s+ext/i.test(t)) return { kind: 'skip', reason: 'page header' };
  return { kind: 'error', error: `date [0:8] "${line.slice(0, 8)}" is not MM/DD/YY or DD/MM/YY` };
}

/** The last two-character word of the line (the CD column of a record printed without a duration). */
function trailingCode(line: string): string | null {
  const t = line.trimEnd();
  return t.length > 3 && t.charCodeAt(t.length - 3) === SPACE ? t.slice(-2) : null;
}

/** What one call line said, column by column. */
interface Fields {
  date: LocalDate;
  minutes: number;
  layout: Layout;
  extension: string | null;
  co: string;
  dial: Dial;
  ring: number | null;
  /** The printed duration, in seconds (0 when the record has none). */
  printed: number;
  code: string | null;
  account: string | null;
  charge: { cost: number; currency: string | null } | null;
  transferMark: boolean;
}

function parseLine(record: string, ctx: ParseContext, state: StreamState, clock: ZoneClock): ParseResult {
  let line = record;
  let hadFormFeed = false;
  while (line.charCodeAt(0) === FORM_FEED) {
    line = line.slice(1);
    hadFormFeed = true;
  }
  if (line.charCodeAt(2) !== 47 || line.charCodeAt(5) !== 47) return nonRecord(line, hadFormFeed);
  const date = readDate(line, state, ctx);
  if (typeof date === 'string') return { kind: 'error', error: date };
  const minutes = readTime(line);
  if (typeof minutes === 'string') return { kind: 'error', error: minutes };

  const found = layoutOf(line);
  const layout = found ?? NARROW;
  const coBlank = isBlank(line, layout.co, layout.coEnd);
  const rest = coBlank ? line.slice(layout.coEnd).trim() : '';
  if (coBlank && isStatusText(rest)) return { kind: 'skip', reason: `status record "${rest}" (no CO line), not a call` };
  const co = fieldAt(line, layout.co, layout.coEnd) ?? '';
  if (co !== '' && !allOf(co, isNumberChar)) return { kind: 'error', error: `CO [${layout.co}:${layout.coEnd}] "${co}" is not a line number` };

  const fields: Fields = {
    date,
    minutes,
    layout,
    extension: fieldAt(line, 17, 22),
    co,
    dial: dialWith('unknown'),
    ring: null,
    printed: 0,
    code: null,
    account: null,
    charge: null,
    transferMark: line.charCodeAt(8) === 42,
  };
  let dialEnd = layout.dialEnd;
  if (found) {
    fields.printed = durationAt(line, layout.duration);
    if (layout.ring >= 0) {
      fields.ring = ringAt(line, layout.ring);
      if (fields.ring === -1) return { kind: 'error', error: `ring [${layout.ring}:${layout.ring + 4}] "${line.slice(layout.ring, layout.ring + 4)}" is not m'ss` };
    }
    if (layout.cost >= 0) {
      const cost = readCost(fieldAt(line, layout.cost, layout.costEnd) ?? '', `[${layout.cost}:${layout.costEnd}]`);
      if (typeof cost === 'string') return { kind: 'error', error: cost };
      fields.charge = cost;
    }
    fields.account = fieldAt(line, layout.acc, layout.accEnd);
    fields.code = fieldAt(line, layout.cd, layout.cd + 2);
  } else {
    // The incoming-call log of KX-TD models prints RC (ringing) and AN (answered) notices without a
    // duration; the call's own record follows. NA (not answered) is the only record of its call.
    const code = trailingCode(line);
    if (code === 'RC' || code === 'AN') return { kind: 'skip', reason: `incoming-call notice (${code}) without a duration; the call's own record carries it` };
    if (code !== 'NA') {
      return { kind: 'error', error: "no duration hh:mm'ss at column 57 (80 columns), 47 (80 columns with charge) or 84 (120 columns)" };
    }
    fields.code = code;
    // The ring time, if any, is the word before the code.
    dialEnd = line.trimEnd().length - 3;
    let wordEnd = dialEnd;
    while (wordEnd > layout.dial && line.charCodeAt(wordEnd - 1) === SPACE) wordEnd--;
    const ringStart = line.lastIndexOf(' ', wordEnd - 1) + 1;
    const ring = ringStart > layout.dial && wordEnd - ringStart <= 4 ? ringAt(line.slice(ringStart, wordEnd).padStart(4), 0) : null;
    if (ring !== null && ring >= 0) {
      fields.ring = ring;
      dialEnd = ringStart;
    }
  }
  if (fields.code === 'RC') return { kind: 'skip', reason: 'incoming-call notice (RC): the call is recorded when it ends' };
  fields.dial = readDial(fieldAt(line, layout.dial, dialEnd) ?? '', coBlank);
  return { kind: 'call', call: buildCall(record, ctx, clock, fields) };
}

function buildCall(record: string, ctx: ParseContext, clock: ZoneClock, f: Fields): Call {
  const { date, dial, code } = f;
  const start = clock.instant(date.year, date.month, date.day, f.minutes * 60);
  const inbound = dial.direction === 'inbound';
  // Ring time is printed for incoming calls and comes before the talk; the printed time is the start.
  const ringBefore = inbound ? (f.ring ?? 0) : 0;
  const talk = code === 'NA' ? 0 : f.printed;
  const total = ringBefore + f.printed;
  let disposition: Disposition = 'unknown';
  if (code === 'NA') disposition = 'no_answer';
  else if (talk > 0) disposition = 'answered';
  else if (inbound) disposition = 'no_answer';

  const call = emptyCall('panasonic', clock.iso(start.epochMs), record);
  call.direction = dial.direction;
  call.answeredAt = talk > 0 ? clock.iso(start.epochMs + ringBefore * 1000) : null;
  call.endedAt = total === 0 ? call.startedAt : clock.iso(start.epochMs + total * 1000);
  call.ringSeconds = f.ring;
  call.talkSeconds = talk;
  call.durationSeconds = total;
  call.disposition = disposition;
  call.callerNumber = inbound ? dial.callerNumber : f.extension;
  call.callerName = dial.callerName;
  call.dialedNumber = dial.dialed;
  call.calledNumber = dial.dialed;
  call.extension = f.extension;
  call.trunk = f.co || null;
  call.accountCode = f.account;

  const extra = call.extra;
  extra.layout = f.layout.name;
  extra.dateOrder = date.order;
  extra.dateOrderSource = date.source;
  if (code) extra.conditionCode = code;
  if (f.transferMark || code === 'TR' || dial.afterTransfer !== null) extra.transferred = true;
  if (f.charge) {
    extra.cost = f.charge.cost;
    if (f.charge.currency) extra.currency = f.charge.currency;
  }
  if (dial.ddi) extra.ddi = dial.ddi;
  if (dial.markers) extra.markers = dial.markers;
  if (dial.dialedName) extra.dialedName = dial.dialedName;
  if (dial.afterTransfer) extra.digitsAfterTransfer = dial.afterTransfer;
  return call;
}

function createParser(ctx: ParseContext): RecordParser {
  const state: StreamState = { order: null };
  const clock = new ZoneClock(ctx.timeZone);
  return (record) => parseLine(record, ctx, state, clock);
}

// ---- detection ---------------------------------------------------------------------------------

function looksLikeRecord(line: string): boolean {
  return (
    line.charCodeAt(2) === 47 &&
    line.charCodeAt(5) === 47 &&
    digitsAt(line, 0, 2) >= 0 &&
    digitsAt(line, 3, 2) >= 0 &&
    digitsAt(line, 6, 2) >= 0 &&
    line.charCodeAt(11) === 58 &&
    line.charCodeAt(15) === 77 && // M of AM/PM
    (line.charCodeAt(14) === 65 || line.charCodeAt(14) === 80)
  );
}

function detect(sample: readonly string[]): number {
  let records = 0;
  let hits = 0;
  let headers = 0;
  for (const raw of sample) {
    let line = raw;
    while (line.charCodeAt(0) === FORM_FEED) line = line.slice(1);
    const t = line.trim();
    if (t === '' || /^[-=_ ]+$/.test(t)) continue;
    if (/^date\s+time\s+ext/i.test(t)) {
      headers++;
      continue;
    }
    records++;
    if (looksLikeRecord(line)) hits++;
  }
  if (records === 0) return headers > 0 ? 0.9 : 0;
  return (hits / records) * (headers > 0 ? 1 : 0.95);
}

// ---- rendering ---------------------------------------------------------------------------------

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function renderDuration(seconds: number): string {
  return `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}'${pad2(seconds % 60)}`;
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const iso = isoInZone(sim.startedAtMs, ctx.timeZone);
  const hour = +iso.slice(11, 13);
  const date = `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(2, 4)}`;
  const time = `${pad2(hour % 12 === 0 ? 12 : hour % 12)}:${iso.slice(14, 16)}${hour < 12 ? 'AM' : 'PM'}`;
  const talk = sim.answered ? sim.talkSeconds : 0;
  let co = sim.trunk.slice(-2);
  let dial: string;
  if (sim.direction === 'inbound') {
    const number = sim.externalNumber.slice(0, 22);
    dial = `<I>${sim.callerName.slice(0, 22 - number.length)}${number}`;
  } else if (sim.direction === 'internal') {
    co = '';
    dial = `EXT${sim.externalNumber}`;
  } else {
    dial = sim.externalNumber;
  }
  const ring = sim.direction === 'inbound' ? `${Math.min(9, Math.floor(sim.ringSeconds / 60))}'${pad2(sim.ringSeconds % 60)}` : '';
  const code = sim.direction === 'inbound' && !sim.answered ? 'NA' : '';
  const line =
    `${date} ${time} ${sim.extension.padEnd(5)} ${co.padEnd(2)} ${dial.slice(0, 25).padEnd(25)} ${ring.padStart(4)} ` +
    `${renderDuration(talk)} ${(sim.accountCode ?? '').padEnd(10)} ${code}`;
  return [line.trimEnd()];
}

export const panasonic: Format = {
  id: 'panasonic',
  name: 'Panasonic KX-TA/TD/TDA/TDE/NS SMDR',
  framing: { kind: 'lines' },
  dedupe: 'record-hash',
  startPrecisionSeconds: 60,
  detect,
  createParser,
  render,
};
