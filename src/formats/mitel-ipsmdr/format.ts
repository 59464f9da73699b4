import { emptyCall, type Call, type CallEvent, type Direction } from '../../core/call.js';
import { fromLocal, isoInZone, isValidLocal, offsetAt, toIso, type LocalTime } from '../../core/time.js';
import type { Assembler, Format, ParseContext, ParseResult, RecordParser, SimulatedCall } from '../format.js';

// Mitel MiVoice Office Application Suite "IP SMDR" (seed 002, FORMATS.md `mitel-ipsmdr`).
//
// One event per line, 162 characters of space-separated fixed-width items, CR LF:
//
//   [0:10] date  [11:19] time  [20:25] |IN |/|OUT|  [26:48] call id (YYYYMMDDhhmmss + 8 digits)
//   [49:56] trunk device  [57:64] extension device  [65:72] source extension (TRANSFERRED, DIVERTED)
//   [73:88] outside number  [89:105] |caller name|  [106:121] DDI  [122:134] |DDI name|
//   [135:147] account code  [148:162] |EVENT|
//
// The widths of the name and event items are not documented; these are the only ones that add up to
// 162 and fit the samples (`CHRIS R MOBILE` fills 14, `CHRIS DID ` shows padding in 10, `DISCONNECTED`
// fills 12). CALLCONNECTED does not fit 12: `CALLCONNECTE` is read as CALLCONNECTED, and a
// `|CALLCONNECTED|` that widens its line is read by delimiters.
//
// The seed's example lines have their padding collapsed (a web page ate the spaces), so a line that
// is not the exact layout is read by its `|` delimiters and spaces instead.
//
// Interpretations (the vendor text names the items, not their meaning):
// - the first device is the trunk (9xxxx in the examples), the second the extension the call is at
//   (it changes on a transfer), the third the transferring / forwarding extension;
// - the outside number is the caller for IN calls and the dialled number for OUT calls (the OUT
//   example carries the number there and a blank DDI);
// - the 12-digit item is the account code (CALLMODIFIED reports account code changes);
// - a line without a trunk device is an internal call;
// - the call's start is its first event's time (the seed's OUT example has a call id stamped 00:46:59
//   on a 12:46:59 line, so the id's time is not trusted).
// Numbers are right-aligned and padded on the left with the pad character. With the default `0`
// a number's own leading zeros cannot be told from padding and are stripped with it
// (`0000079XXXXXXXX` → `79XXXXXXXX`); configure another pad character on the PBX to keep them.

const FORMAT_ID = 'mitel-ipsmdr';
const LINE_LENGTH = 162;
/** A call with no event for this long (stream time) is given up on and returned as it stands. */
const STALE_AFTER_MS = 24 * 3_600_000;

const EVENTS = new Set([
  'RINGING',
  'ANSWERED',
  'HOLD',
  'CALLCONNECTED',
  'CONNECTED',
  'DIVERTED',
  'TRANSFERRED',
  'QUEUED',
  'CALLMODIFIED',
  'DISCONNECTED',
]);

/** Each event and the way its 12-character column prints it (CALLCONNECTED cut to CALLCONNECTE). */
const EVENT_COLUMNS = [...EVENTS].map((name) => ({ name, printed: name.slice(0, 12) }));

/** The event named in line[a, b), spaces around it ignored, or null. Compared in place: no slice, no hash. */
function eventAt(line: string, a: number, b: number): string | null {
  while (a < b && line.charCodeAt(a) === 32) a++;
  while (b > a && line.charCodeAt(b - 1) === 32) b--;
  const n = b - a;
  for (const { name, printed } of EVENT_COLUMNS) {
    if ((n === name.length && line.startsWith(name, a)) || (n === printed.length && line.startsWith(printed, a))) return name;
  }
  return null;
}

// Where each item of a line lies, as [start, end) pairs in one flat array (13 items).
const DATE = 0;
const TIME = 2;
const DIR = 4;
const CALL_ID = 6;
const TRUNK = 8;
const EXTENSION = 10;
const SOURCE = 12;
const OUTSIDE = 14;
const NAME = 16;
const DDI = 18;
const DDI_NAME = 20;
const ACCOUNT = 22;
const EVENT = 24;
type Spans = number[];

/** The columns of the exact 162-character layout. */
const EXACT: Spans = [0, 10, 11, 19, 21, 24, 26, 48, 49, 56, 57, 64, 65, 72, 73, 88, 90, 104, 106, 121, 123, 133, 135, 147, 149, 161];
const SPACES = [10, 19, 25, 48, 56, 64, 72, 88, 105, 121, 134, 147];
const BARS = [20, 24, 89, 104, 122, 133, 148, 161];

function isExactLayout(line: string): boolean {
  if (line.length < LINE_LENGTH) return false;
  for (let i = 0; i < BARS.length; i++) if (line.charCodeAt(BARS[i]!) !== 124) return false;
  for (let i = 0; i < SPACES.length; i++) if (line.charCodeAt(SPACES[i]!) !== 32) return false;
  for (let i = LINE_LENGTH; i < line.length; i++) if (line.charCodeAt(i) > 32) return false;
  return true;
}

/** The space-separated tokens of line[a, b), as [start, end) pairs. */
function tokens(line: string, a: number, b: number): number[] {
  const out: number[] = [];
  let i = a;
  while (i < b) {
    while (i < b && line.charCodeAt(i) === 32) i++;
    if (i === b) break;
    const from = i;
    while (i < b && line.charCodeAt(i) !== 32) i++;
    out.push(from, i);
  }
  return out;
}

function widthError(line: string, spans: Spans, item: number, width: number, what: string): string | null {
  const n = spans[item + 1]! - spans[item]!;
  return n > width ? `${what} "${line.slice(spans[item], spans[item + 1])}" is wider than ${width} characters` : null;
}

/**
 * Finds the items of a line whose padding was collapsed or altered, by its `|` delimiters. The
 * seed's OUT example has no `|DDI name|` item at all (six delimiters, DDI and account code side by
 * side); that is read too.
 */
function findItems(line: string): Spans | string {
  const bars: number[] = [];
  for (let i = line.indexOf('|'); i >= 0; i = line.indexOf('|', i + 1)) bars.push(i);
  const withDdiName = bars.length === 8;
  if (!withDdiName && bars.length !== 6) return `expected 8 "|" delimiters (6 without the DDI name), found ${bars.length}`;
  const last = bars[bars.length - 1]!;
  const tail = line.slice(last + 1).trim();
  if (tail !== '') return `text after the closing "|" of the event: "${tail.slice(0, 20)}"`;
  const stamp = tokens(line, 0, bars[0]!);
  if (stamp.length !== 4) return `date and time "${line.slice(0, bars[0]).trim()}" is not YYYY-MM-DD hh:mm:ss`;
  // Without the columns a blank item padded with spaces would vanish, so every item must be there.
  const ids = tokens(line, bars[1]! + 1, bars[2]!);
  if (ids.length !== 10) return `expected call id, three devices and the outside number, found "${line.slice(bars[1]! + 1, bars[2]).trim()}"`;
  let ddi: number[];
  let account: number[];
  let ddiName: number[];
  let event: number[];
  if (withDdiName) {
    ddi = tokens(line, bars[3]! + 1, bars[4]!);
    ddiName = [bars[4]! + 1, bars[5]!];
    account = tokens(line, bars[5]! + 1, bars[6]!);
    event = [bars[6]! + 1, bars[7]!];
  } else {
    const both = tokens(line, bars[3]! + 1, bars[4]!);
    if (both.length !== 4) return `expected the DDI and the account code, found "${line.slice(bars[3]! + 1, bars[4]).trim()}"`;
    ddi = both.slice(0, 2);
    account = both.slice(2);
    ddiName = [bars[4]!, bars[4]!];
    event = [bars[4]! + 1, bars[5]!];
  }
  if (ddi.length > 2 || account.length > 2) return 'the DDI or the account code holds a space';
  const blank = [bars[3]! + 1, bars[3]! + 1];
  const spans: Spans = [
    ...stamp,
    bars[0]! + 1,
    bars[1]!,
    ...ids,
    bars[2]! + 1,
    bars[3]!,
    ...(ddi.length ? ddi : blank),
    ...ddiName,
    ...(account.length ? account : blank),
    ...event,
  ];
  const wide =
    widthError(line, spans, TRUNK, 7, 'trunk device') ??
    widthError(line, spans, EXTENSION, 7, 'extension device') ??
    widthError(line, spans, SOURCE, 7, 'source extension device') ??
    widthError(line, spans, OUTSIDE, 15, 'outside number') ??
    widthError(line, spans, DDI, 15, 'DDI') ??
    widthError(line, spans, ACCOUNT, 12, 'account code');
  return wide ?? spans;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function twoDigits(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
}

const DIGITS_ONLY = 1;
const NUMBER_TEXT = 2;

/**
 * The value of a device or number item in line[a, b): the padding (spaces, then pad characters on
 * the left) removed; null when blank; undefined when a character does not belong in it.
 */
function itemValue(line: string, a: number, b: number, pad: number, kind: number): string | null | undefined {
  while (a < b && (line.charCodeAt(a) === pad || line.charCodeAt(a) === 32)) a++;
  while (b > a && line.charCodeAt(b - 1) === 32) b--;
  if (a === b) return null;
  for (let i = a; i < b; i++) {
    const c = line.charCodeAt(i);
    // Numbers may also hold * # + and the X of a masked number.
    if (!isDigit(c) && (kind === DIGITS_ONLY || !(c === 42 || c === 35 || c === 43 || c === 88))) return undefined;
  }
  return line.slice(a, b);
}

/** A name item: trimmed; blank, or made only of the pad character, is no name; undefined if it holds control characters. */
function nameValue(line: string, a: number, b: number, pad: number): string | null | undefined {
  let onlyPad = true;
  for (let i = a; i < b; i++) {
    const c = line.charCodeAt(i);
    if (c < 32 || c === 127) return undefined;
    if (c !== 32 && c !== pad) onlyPad = false;
  }
  return onlyPad ? null : line.slice(a, b).trim();
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);

function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + TWO_DIGITS[Math.floor(abs / 60)] + ':' + TWO_DIGITS[abs % 60];
}

/**
 * Local `YYYY-MM-DD` + `hh:mm:ss` → ISO with the zone's offset. A day without a DST change has one
 * offset, so its times need no zone lookup. On a day with a change each time goes through
 * core/time, which reads a repeated (autumn) time as its first occurrence; since the PBX prints
 * events as they happen, a time that would step back behind the previous line is read as the second.
 */
class DayClock {
  private date = '';
  /** `+hh:mm` for the whole of `date`, or null when the offset changes that day. */
  private suffix: string | null = null;
  /** On a day with a change: the offset after it, and the latest instant printed so far. */
  private laterOffset = 0;
  private latest = -Infinity;

  constructor(private readonly timeZone: string) {}

  /** line[d, d+10) is `dddd-dd-dd` and line[t, t+8) `dd:dd:dd`. */
  iso(line: string, d: number, t: number): string | null {
    if (!line.startsWith(this.date, d) || this.date === '') {
      const midnight = { year: Number(line.slice(d, d + 4)), month: twoDigits(line, d + 5), day: twoDigits(line, d + 8), hour: 0, minute: 0, second: 0 };
      if (!isValidLocal(midnight)) return null;
      const ms = Date.UTC(midnight.year, midnight.month - 1, midnight.day);
      // Instants 14 h either side of the local day cover it whatever the offset.
      const before = offsetAt(this.timeZone, ms - 14 * 3_600_000);
      const after = offsetAt(this.timeZone, ms + DAY_MS + 14 * 3_600_000);
      this.date = line.slice(d, d + 10);
      this.suffix = before === after ? offsetText(before) : null;
      this.laterOffset = after;
      this.latest = -Infinity;
    }
    const hour = twoDigits(line, t);
    const minute = twoDigits(line, t + 3);
    const second = twoDigits(line, t + 6);
    if (hour > 23 || minute > 59 || second > 59) return null;
    if (this.suffix !== null) return this.date + 'T' + line.slice(t, t + 8) + this.suffix;
    return this.onChangeDay({ year: Number(line.slice(d, d + 4)), month: twoDigits(line, d + 5), day: twoDigits(line, d + 8), hour, minute, second });
  }

  private onChangeDay(local: LocalTime): string {
    let at = fromLocal(local, this.timeZone);
    if (at.epochMs < this.latest && at.offsetMinutes !== this.laterOffset) {
      const second = at.epochMs + (at.offsetMinutes - this.laterOffset) * 60_000;
      if (offsetAt(this.timeZone, second) === this.laterOffset) at = { epochMs: second, offsetMinutes: this.laterOffset };
    }
    if (at.epochMs > this.latest) this.latest = at.epochMs;
    return toIso(at.epochMs, at.offsetMinutes);
  }
}

/** Epoch milliseconds of the ISO strings this parser writes; one `Date.parse` per day and offset. */
class IsoClock {
  /** Never a prefix of an ISO string, until the first one is read. */
  private prefix = '\u0000';
  private suffix = '';
  private base = 0;

  ms(iso: string): number {
    if (iso.length !== 25 || !iso.startsWith(this.prefix) || !iso.endsWith(this.suffix)) {
      this.prefix = iso.slice(0, 11);
      this.suffix = iso.slice(19);
      this.base = Date.parse(this.prefix + '00:00:00' + this.suffix);
      if (iso.length !== 25 || Number.isNaN(this.base)) {
        this.prefix = '\u0000';
        return Date.parse(iso);
      }
    }
    const h = twoDigits(iso, 11);
    const m = twoDigits(iso, 14);
    const s = twoDigits(iso, 17);
    return this.base + ((h * 60 + m) * 60 + s) * 1000;
  }
}

const error = (message: string): ParseResult => ({ kind: 'error', error: message });

/** `IN`, `IN ` or `OUT` in line[a, b). */
function directionAt(line: string, a: number, b: number): 'inbound' | 'outbound' | null {
  if (b - a === 3 && line.startsWith('OUT', a)) return 'outbound';
  if (line.startsWith('IN', a) && (b - a === 2 || (b - a === 3 && line.charCodeAt(a + 2) === 32))) return 'inbound';
  return null;
}

function itemText(line: string, sp: Spans, item: number): string {
  return line.slice(sp[item], sp[item + 1]);
}

/** line[a, b) is `n` digits. */
function digitsIn(line: string, a: number, b: number, n: number): boolean {
  if (b - a !== n) return false;
  for (let i = a; i < b; i++) if (!isDigit(line.charCodeAt(i))) return false;
  return true;
}

/** line[a, b) is `dddd-dd-dd`. */
function isDate(line: string, a: number, b: number): boolean {
  return b - a === 10 && line.charCodeAt(a + 4) === 45 && line.charCodeAt(a + 7) === 45 && digitsIn(line, a, a + 4, 4) && digitsIn(line, a + 5, a + 7, 2) && digitsIn(line, a + 8, a + 10, 2);
}

/** line[a, b) is `dd:dd:dd`. */
function isTime(line: string, a: number, b: number): boolean {
  return b - a === 8 && line.charCodeAt(a + 2) === 58 && line.charCodeAt(a + 5) === 58 && digitsIn(line, a, a + 2, 2) && digitsIn(line, a + 3, a + 5, 2) && digitsIn(line, a + 6, a + 8, 2);
}

function parseLine(line: string, clock: DayClock, pad: number): ParseResult {
  const found = isExactLayout(line) ? EXACT : findItems(line);
  if (typeof found === 'string') return error(found);
  const sp = found;
  const d = sp[DATE]!;
  const t = sp[TIME]!;
  if (!isDate(line, d, sp[DATE + 1]!) || !isTime(line, t, sp[TIME + 1]!)) {
    return error(`date and time "${itemText(line, sp, DATE)} ${itemText(line, sp, TIME)}" is not YYYY-MM-DD hh:mm:ss`);
  }
  const occurredAt = clock.iso(line, d, t);
  if (occurredAt === null) return error(`date and time "${itemText(line, sp, DATE)} ${itemText(line, sp, TIME)}" is not a real date and time`);
  const dir = directionAt(line, sp[DIR]!, sp[DIR + 1]!);
  if (dir === null) return error(`direction "${itemText(line, sp, DIR)}" is not IN or OUT`);
  if (!digitsIn(line, sp[CALL_ID]!, sp[CALL_ID + 1]!, 22)) {
    return error(`call id "${itemText(line, sp, CALL_ID)}" is not 22 digits`);
  }
  const event = eventAt(line, sp[EVENT]!, sp[EVENT + 1]!);
  if (event === null) return error(`event "${itemText(line, sp, EVENT).trim()}" is not an IP SMDR event`);

  const trunk = itemValue(line, sp[TRUNK]!, sp[TRUNK + 1]!, pad, DIGITS_ONLY);
  if (trunk === undefined) return error(`trunk device "${itemText(line, sp, TRUNK)}" is not a device number`);
  const extension = itemValue(line, sp[EXTENSION]!, sp[EXTENSION + 1]!, pad, DIGITS_ONLY);
  if (extension === undefined) return error(`extension device "${itemText(line, sp, EXTENSION)}" is not a device number`);
  const source = itemValue(line, sp[SOURCE]!, sp[SOURCE + 1]!, pad, DIGITS_ONLY);
  if (source === undefined) return error(`source extension device "${itemText(line, sp, SOURCE)}" is not a device number`);
  const outside = itemValue(line, sp[OUTSIDE]!, sp[OUTSIDE + 1]!, pad, NUMBER_TEXT);
  if (outside === undefined) return error(`outside number "${itemText(line, sp, OUTSIDE).trim()}" is not a number`);
  const ddi = itemValue(line, sp[DDI]!, sp[DDI + 1]!, pad, NUMBER_TEXT);
  if (ddi === undefined) return error(`DDI "${itemText(line, sp, DDI).trim()}" is not a number`);
  const account = itemValue(line, sp[ACCOUNT]!, sp[ACCOUNT + 1]!, pad, NUMBER_TEXT);
  if (account === undefined) return error(`account code "${itemText(line, sp, ACCOUNT).trim()}" is not a number`);
  const name = nameValue(line, sp[NAME]!, sp[NAME + 1]!, pad);
  const ddiName = nameValue(line, sp[DDI_NAME]!, sp[DDI_NAME + 1]!, pad);
  if (name === undefined || ddiName === undefined) return error('a name contains control characters');

  const direction: Direction = trunk === null ? 'internal' : dir;
  const callEvent: CallEvent = {
    format: FORMAT_ID,
    callRef: itemText(line, sp, CALL_ID),
    event,
    occurredAt,
    data: {
      direction,
      trunk,
      extension,
      sourceExtension: source,
      outsideNumber: outside,
      name,
      ddi,
      ddiName,
      accountCode: account,
    },
    raw: line,
  };
  return { kind: 'event', event: callEvent };
}

/** What the assembler knows of one call id so far. */
interface OpenCall {
  callId: string;
  lines: string[];
  direction: Direction;
  startIso: string;
  startMs: number;
  lastIso: string;
  lastMs: number;
  trunk: string | null;
  /** The extension the call first reached (the caller, for outbound calls). */
  firstExtension: string | null;
  firstAnswerer: string | null;
  answerIso: string | null;
  answerMs: number;
  /** The extension at the last (CALL)CONNECTED/ANSWERED. */
  connectedTo: string | null;
  alerted: boolean;
  holdSince: number | null;
  holdMs: number;
  queuedSince: number | null;
  queuedMs: number;
  queued: boolean;
  transfers: number;
  diversions: number;
  transferredTo: string | null;
  transferredFrom: string | null;
  outsideNumber: string | null;
  name: string | null;
  ddi: string | null;
  ddiName: string | null;
  accountCode: string | null;
}

function str(v: string | number | null | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function openCall(e: CallEvent, ms: number): OpenCall {
  const d = e.data;
  const direction = str(d.direction);
  return {
    callId: e.callRef,
    lines: [],
    direction: direction === 'inbound' || direction === 'outbound' || direction === 'internal' ? direction : 'unknown',
    startIso: e.occurredAt,
    startMs: ms,
    lastIso: e.occurredAt,
    lastMs: ms,
    trunk: null,
    firstExtension: null,
    firstAnswerer: null,
    answerIso: null,
    answerMs: 0,
    connectedTo: null,
    alerted: false,
    holdSince: null,
    holdMs: 0,
    queuedSince: null,
    queuedMs: 0,
    queued: false,
    transfers: 0,
    diversions: 0,
    transferredTo: null,
    transferredFrom: null,
    outsideNumber: null,
    name: null,
    ddi: null,
    ddiName: null,
    accountCode: null,
  };
}

function endHold(c: OpenCall, ms: number): void {
  if (c.holdSince !== null) c.holdMs += ms - c.holdSince;
  c.holdSince = null;
}

function endQueue(c: OpenCall, ms: number): void {
  if (c.queuedSince !== null) c.queuedMs += ms - c.queuedSince;
  c.queuedSince = null;
}

/** Applies one event; returns true when the call is over. */
function apply(c: OpenCall, e: CallEvent, ms: number): boolean {
  const d = e.data;
  const extension = str(d.extension);
  c.lines.push(e.raw);
  c.lastIso = e.occurredAt;
  c.lastMs = ms;
  c.trunk ??= str(d.trunk);
  c.firstExtension ??= extension;
  // CALLMODIFIED can change these; the latest value wins.
  c.outsideNumber = str(d.outsideNumber) ?? c.outsideNumber;
  c.name = str(d.name) ?? c.name;
  c.ddi = str(d.ddi) ?? c.ddi;
  c.ddiName = str(d.ddiName) ?? c.ddiName;
  c.accountCode = str(d.accountCode) ?? c.accountCode;
  switch (e.event) {
    case 'RINGING':
      c.alerted = true;
      endQueue(c, ms);
      break;
    case 'ANSWERED':
    case 'CONNECTED':
    case 'CALLCONNECTED':
      if (c.answerIso === null) {
        c.answerIso = e.occurredAt;
        c.answerMs = ms;
        c.firstAnswerer = extension;
      }
      c.connectedTo = extension ?? c.connectedTo;
      endHold(c, ms);
      endQueue(c, ms);
      break;
    case 'HOLD':
      c.holdSince ??= ms;
      break;
    case 'QUEUED':
      c.queued = true;
      c.queuedSince ??= ms;
      break;
    case 'TRANSFERRED':
    case 'DIVERTED':
      if (e.event === 'TRANSFERRED') c.transfers++;
      else c.diversions++;
      c.transferredTo = extension ?? c.transferredTo;
      c.transferredFrom = str(d.sourceExtension) ?? c.transferredFrom;
      break;
    case 'DISCONNECTED':
      endHold(c, ms);
      endQueue(c, ms);
      return true;
  }
  return false;
}

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

function toCall(c: OpenCall, ended: boolean): Call {
  const call = emptyCall(FORMAT_ID, c.startIso, c.lines.join('\n'));
  call.callId = c.callId;
  call.direction = c.direction;
  call.trunk = c.trunk;
  call.accountCode = c.accountCode;
  call.durationSeconds = seconds(c.lastMs - c.startMs);
  // A hold still open when the stream ends counts up to the last event.
  call.holdSeconds = seconds(c.holdMs + (c.holdSince !== null ? c.lastMs - c.holdSince : 0));
  if (ended) call.endedAt = c.lastIso;
  if (c.answerIso !== null) {
    call.disposition = 'answered';
    call.answeredAt = c.answerIso;
    call.ringSeconds = seconds(c.answerMs - c.startMs);
    call.talkSeconds = seconds(c.lastMs - c.answerMs);
    // Who took an outbound call is the outside party; the extension is the caller.
    call.answeredBy = c.direction === 'outbound' ? null : c.connectedTo;
  } else {
    if (c.alerted || c.queued) call.ringSeconds = call.durationSeconds;
    // Rang (or queued) and cleared without an answer: abandoned. Still open: not known yet.
    call.disposition = ended && (c.alerted || c.queued) ? 'no_answer' : 'unknown';
  }
  call.transferredTo = c.transferredTo;
  if (c.direction === 'inbound') {
    call.callerNumber = c.outsideNumber;
    call.callerName = c.name;
    call.dialedNumber = c.ddi;
    call.extension = c.firstAnswerer ?? c.firstExtension;
  } else {
    call.callerNumber = c.firstExtension;
    call.dialedNumber = c.outsideNumber;
    call.extension = c.firstExtension;
    if (c.name !== null) call.extra.outsideName = c.name;
  }
  call.calledNumber = call.dialedNumber;
  if (c.ddiName !== null) call.extra.ddiName = c.ddiName;
  if (c.queued) call.extra.queuedSeconds = seconds(c.queuedMs + (c.queuedSince !== null ? c.lastMs - c.queuedSince : 0));
  if (c.transfers > 0) call.extra.transfers = c.transfers;
  if (c.diversions > 0) call.extra.diversions = c.diversions;
  if (c.transferredFrom !== null) call.extra.transferredFrom = c.transferredFrom;
  if (!ended) call.extra.incomplete = true;
  return call;
}

class IpSmdrAssembler implements Assembler {
  private readonly open = new Map<string, OpenCall>();
  private latestMs = -Infinity;
  private pushes = 0;
  private readonly clock = new IsoClock();

  push(event: CallEvent): Call[] {
    const ms = this.clock.ms(event.occurredAt);
    const out: Call[] = [];
    if (ms > this.latestMs) this.latestMs = ms;
    if (++this.pushes % 1024 === 0) this.evictStale(out);
    let call = this.open.get(event.callRef);
    if (!call) {
      call = openCall(event, ms);
      this.open.set(event.callRef, call);
    }
    if (apply(call, event, ms)) {
      this.open.delete(event.callRef);
      out.push(toCall(call, true));
    }
    return out;
  }

  flush(): Call[] {
    const calls = [...this.open.values()].map((c) => toCall(c, false));
    this.open.clear();
    return calls;
  }

  /** A call whose DISCONNECTED never came must not be held for ever by a collector that runs for months. */
  private evictStale(out: Call[]): void {
    for (const [id, c] of this.open) {
      if (this.latestMs - c.lastMs > STALE_AFTER_MS) {
        this.open.delete(id);
        out.push(toCall(c, false));
      }
    }
  }
}

const DETECT_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \|(IN |OUT)\| \d{22} /;

function detect(sample: readonly string[]): number {
  if (sample.length === 0) return 0;
  let hits = 0;
  for (const line of sample) if (DETECT_RE.test(line)) hits++;
  return (0.95 * hits) / sample.length;
}

// Rendering -------------------------------------------------------------------------------------

function fit(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + ' '.repeat(width - text.length);
}

function padNumber(text: string, width: number, pad: string): string {
  const t = text.slice(-width);
  return pad.repeat(width - t.length) + t;
}

/** One event line in the exact 162-character layout. */
export interface EventLine {
  localIso: string;
  dir: 'IN' | 'OUT';
  callId: string;
  trunk: string;
  extension: string;
  source: string;
  outside: string;
  name: string;
  ddi: string;
  ddiName: string;
  account: string;
  event: string;
}

export function renderLine(e: EventLine, pad = '0'): string {
  return (
    `${e.localIso.slice(0, 10)} ${e.localIso.slice(11, 19)} |${fit(e.dir, 3)}| ${e.callId} ` +
    `${padNumber(e.trunk, 7, pad)} ${padNumber(e.extension, 7, pad)} ${padNumber(e.source, 7, pad)} ` +
    `${padNumber(e.outside, 15, pad)} |${fit(e.name, 14)}| ${padNumber(e.ddi, 15, pad)} |${fit(e.ddiName, 10)}| ` +
    `${padNumber(e.account, 12, pad)} |${fit(e.event, 12)}|`
  );
}

type Step = { at: number; event: string; extension: string; source?: string };

/** The events a simulated call goes through, in seconds from its start. */
function steps(sim: SimulatedCall): Step[] {
  const ring = sim.ringSeconds;
  const ext = sim.extension;
  const out: Step[] = [{ at: 0, event: 'RINGING', extension: ext }];
  if (!sim.answered) return [...out, { at: ring, event: 'DISCONNECTED', extension: ext }];
  const end = ring + sim.talkSeconds;
  out.push({ at: ring, event: 'ANSWERED', extension: ext });
  if (sim.direction === 'inbound' && sim.talkSeconds >= 30 && sim.index % 5 === 0) {
    // Every fifth long inbound call is put on hold and transferred, as in the seed's scenario.
    const to = String(Number(ext) + 1);
    out.push(
      { at: ring + 10, event: 'HOLD', extension: ext },
      { at: ring + 15, event: 'TRANSFERRED', extension: to, source: ext },
      { at: ring + 15, event: 'RINGING', extension: to },
      { at: ring + 18, event: 'CONNECTED', extension: to },
      { at: end, event: 'DISCONNECTED', extension: to },
    );
    return out;
  }
  return [...out, { at: end, event: 'DISCONNECTED', extension: ext }];
}

function compactLocal(iso: string): string {
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
}

function renderWith(pad: string) {
  return (sim: SimulatedCall, ctx: ParseContext): string[] => {
    const inbound = sim.direction === 'inbound';
    const callId = compactLocal(isoInZone(sim.startedAtMs, ctx.timeZone)) + String(sim.index % 1e8).padStart(8, '0');
    return steps(sim).map((s) =>
      renderLine(
        {
          localIso: isoInZone(sim.startedAtMs + s.at * 1000, ctx.timeZone),
          dir: inbound ? 'IN' : 'OUT',
          callId,
          trunk: sim.direction === 'internal' ? '' : '920' + sim.trunk,
          extension: s.extension,
          source: s.source ?? '',
          outside: sim.externalNumber,
          name: inbound ? sim.callerName : '',
          ddi: inbound ? '441632960' + sim.extension.slice(-3) : '',
          ddiName: inbound ? 'MAIN DDI' : '',
          account: sim.accountCode ?? '',
          event: s.event,
        },
        pad,
      ),
    );
  };
}

export interface IpSmdrOptions {
  /** The character the PBX pads blank items with (a setting of the IP SMDR feature); default `0`. */
  padChar?: string;
}

export function createMitelIpSmdr(options: IpSmdrOptions = {}): Format {
  const pad = (options.padChar ?? '0').slice(0, 1) || '0';
  return {
    id: FORMAT_ID,
    name: 'Mitel MiVoice Office IP SMDR',
    framing: { kind: 'lines' },
    dedupe: 'call-id',
    detect,
    createParser(ctx: ParseContext): RecordParser {
      const clock = new DayClock(ctx.timeZone);
      const padCode = pad.charCodeAt(0);
      return (record) => parseLine(record, clock, padCode);
    },
    createAssembler: () => new IpSmdrAssembler(),
    render: renderWith(pad),
  };
}

export const mitelIpSmdr: Format = createMitelIpSmdr();
