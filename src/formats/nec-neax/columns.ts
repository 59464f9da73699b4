import { isRealDate, type ReferenceDate, type Span, type SwitchClock } from './clock.js';
import { PARTY_KINDS, routeTrunk, type Parties } from './record.js';
import { readDigits } from '../../core/digits.js';
import { shown } from '../../core/text.js';

// The fixed-column records: normal (KA outgoing, KB station-to-station, KE incoming) and extended
// (KH outgoing, KI incoming, KJ station-to-station), which add the calling party number / ANI.
// KI is incoming like KL in the flexible format (NEC orders both H/I/J and K/L/M outgoing,
// incoming, station-to-station); FORMATS.md's "H/I outgoing" reads one parser's mislabel.
// Columns count from the first character after STX (public parsers that count STX as 0 are one
// higher). A normal record is 130 characters: "0!" and the 128-byte message that starts at K.

export const NORMAL_LENGTH = 130;
export const EXTENDED_LENGTH = 164;
/**
 * Every column up to the bill notification [126] must be there: a logger that strips trailing spaces
 * may drop only the blank attendant number (and an extended record's blank CPN). A shorter record
 * was cut (a broken frame) and could only be misread: a cut dialled number is a wrong number.
 */
const MIN_LENGTH = 127;

/** Where each field starts (FORMATS.md "nec-neax", checked against whole records). */
export const COL = {
  route: 4,
  trunk: 7,
  partyKind: 10,
  tenant: 11,
  calling: 13,
  start: 19,
  end: 29,
  account: 39,
  conditions: 52,
  routeUsed: 55,
  routeFirst: 58,
  dialled: 61,
  calledTenant: 61,
  calledStation: 63,
  pulses: 93,
  officeCalling: 97,
  officeBilling: 101,
  authorization: 105,
  startYear: 115,
  endYear: 117,
  chargeCode: 119,
  charge: 120,
  billNotification: 126,
  attendant: 127,
  dataId: 130,
  cpnPresentation: 131,
  cpn: 132,
} as const;

export type CallKind = 'outgoing' | 'incoming' | 'station';

export const FIXED_KINDS: Readonly<Record<string, { call: CallKind; extended: boolean; name: string }>> = {
  A: { call: 'outgoing', extended: false, name: 'KA' },
  B: { call: 'station', extended: false, name: 'KB' },
  E: { call: 'incoming', extended: false, name: 'KE' },
  H: { call: 'outgoing', extended: true, name: 'KH' },
  I: { call: 'incoming', extended: true, name: 'KI' },
  J: { call: 'station', extended: true, name: 'KJ' },
};

/** A record that cannot be read; the parser turns it into an error result. */
export class RecordError extends Error {}

export interface Env {
  clock: SwitchClock;
  /** Null when the parse context's reference date is not YYYY-MM-DD. */
  reference: ReferenceDate | null;
  referenceText: string;
}

// What a field may hold once its surrounding spaces are gone.
const NUMBER = 1; // digits
const DIAL = 2; // digits, * and #
type Kind = typeof NUMBER | typeof DIAL;

// Fields are read with their columns passed as numbers rather than looked up in a table of field
// objects: these readers run for every field of every record. `name` is used only in errors.

function fieldError(body: string, from: number, to: number, kind: Kind, name: string): RecordError {
  return new RecordError(`${name} [${from}:${to}] ${shown(body.slice(from, to))} ${kind === NUMBER ? 'is not a number' : 'holds more than digits, * and #'}`);
}

/** body[from, to) without surrounding spaces, or null when blank; throws when it holds what `kind` cannot. */
function take(body: string, from: number, to: number, kind: Kind, name: string): string | null {
  let end = to < body.length ? to : body.length;
  while (end > from && body.charCodeAt(end - 1) === 32) end--;
  if (end <= from) return null;
  let start = from;
  while (body.charCodeAt(start) === 32) start++;
  for (let i = start; i < end; i++) {
    const c = body.charCodeAt(i);
    if ((c < 48 || c > 57) && (kind === NUMBER || (c !== 42 && c !== 35))) throw fieldError(body, from, to, kind, name);
  }
  return body.slice(start, end);
}

/** The number in body[from, to) (digits, spaces around them), or null when blank; throws when not a number. */
function takeNumber(body: string, from: number, to: number, name: string): number | null {
  let end = to < body.length ? to : body.length;
  while (end > from && body.charCodeAt(end - 1) === 32) end--;
  if (end <= from) return null;
  let start = from;
  while (body.charCodeAt(start) === 32) start++;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = body.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw fieldError(body, from, to, NUMBER, name);
    n = n * 10 + d;
  }
  return n;
}

/** True when body[from, to) is all spaces (or lies past the end). */
function blank(body: string, from: number, to: number): boolean {
  const end = to < body.length ? to : body.length;
  for (let i = from; i < end; i++) if (body.charCodeAt(i) !== 32) return false;
  return true;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** A local time for errors: `YYYY-MM-DD hh:mm:ss`. */
function shownTime(year: number, month: number, day: number, hhmmss: number): string {
  const hour = Math.floor(hhmmss / 10_000);
  return `${year}-${pad2(month)}-${pad2(day)} ${pad2(hour)}:${pad2(Math.floor(hhmmss / 100) % 100)}:${pad2(hhmmss % 100)}`;
}

/** Why a local time is not a real date and time, or null; the wording of clock.ts `invalidLocal`. */
function invalidTime(year: number, month: number, day: number, hhmmss: number): string | null {
  if (!isRealDate(year, month, day)) return `${year}-${pad2(month)}-${pad2(day)} is not a real date`;
  const hour = Math.floor(hhmmss / 10_000);
  const minute = Math.floor(hhmmss / 100) % 100;
  const second = hhmmss % 100;
  if (hour > 23 || minute > 59 || second > 59) return `${pad2(hour)}:${pad2(minute)}:${pad2(second)} is not a real time`;
  return null;
}

/** MMDDhhmmss at `at` as one number, or -1. */
function monthDayTime(body: string, at: number): number {
  return readDigits(body, at, at + 10);
}

/** A printed two-digit year, or null when the record leaves it blank. */
function printedYear(body: string, at: number, name: string): number | null {
  if (body.charCodeAt(at) === 32 && body.charCodeAt(at + 1) === 32) return null;
  if (at >= body.length) return null;
  const yy = readDigits(body, at, at + 2);
  if (yy < 0) throw new RecordError(`${name} [${at}:${at + 2}] ${shown(body.slice(at, at + 2))} is not YY`);
  return 2000 + yy;
}

const MAX_SPAN_MS = 31 * 86_400_000;

/**
 * The start and end times [19:29] [29:39] (MMDDhhmmss) as instants. The years are printed (YY
 * columns) where the record has them, else the end's year comes from the reference date; a start
 * later in the year than the end is the year before (New Year). An end that reads earlier than the
 * start is retried as the second occurrence of a repeated hour (the night clocks go back).
 */
function spanOf(body: string, env: Env): Span {
  const start = monthDayTime(body, COL.start);
  if (start < 0) throw new RecordError(`start time [${COL.start}:${COL.start + 10}] ${shown(body.slice(COL.start, COL.start + 10))} is not MMDDhhmmss`);
  const end = monthDayTime(body, COL.end);
  if (end < 0) throw new RecordError(`end time [${COL.end}:${COL.end + 10}] ${shown(body.slice(COL.end, COL.end + 10))} is not MMDDhhmmss`);
  const startMonth = Math.floor(start / 100_000_000);
  const startDay = Math.floor(start / 1_000_000) % 100;
  const startTime = start % 1_000_000;
  const endMonth = Math.floor(end / 100_000_000);
  const endDay = Math.floor(end / 1_000_000) % 100;
  const endTime = end % 1_000_000;

  const startYear = printedYear(body, COL.startYear, 'start year');
  let endYear = printedYear(body, COL.endYear, 'end year');
  const wraps = endMonth < startMonth || (endMonth === startMonth && endDay < startDay) ? 1 : 0;
  if (endYear === null && startYear !== null) endYear = startYear + wraps;
  if (endYear === null) {
    if (!env.reference) throw new RecordError(`the record has no year and the reference date ${shown(env.referenceText)} is not YYYY-MM-DD`);
    endYear = env.reference.yearOf(endMonth, endDay);
    if (endYear === null) throw new RecordError(`end date [${COL.end}:${COL.end + 4}] ${shown(body.slice(COL.end, COL.end + 4))} is not a real month and day`);
  }
  const year = startYear ?? endYear - wraps;

  const startProblem = invalidTime(year, startMonth, startDay, startTime);
  if (startProblem) throw new RecordError(`start time: ${startProblem}`);
  const endProblem = invalidTime(endYear, endMonth, endDay, endTime);
  if (endProblem) throw new RecordError(`end time: ${endProblem}`);
  const clock = env.clock;
  const s = clock.stamp(year, startMonth, startDay, Math.floor(startTime / 10_000), Math.floor(startTime / 100) % 100, startTime % 100);
  let e = clock.stamp(endYear, endMonth, endDay, Math.floor(endTime / 10_000), Math.floor(endTime / 100) % 100, endTime % 100);
  if (e.epochMs < s.epochMs) {
    const later = clock.laterOccurrence(e, s);
    if (!later) throw new RecordError(`end time ${shownTime(endYear, endMonth, endDay, endTime)} is before start time ${shownTime(year, startMonth, startDay, startTime)}`);
    e = later;
  }
  if (e.epochMs - s.epochMs > MAX_SPAN_MS) {
    throw new RecordError(`call from ${shownTime(year, startMonth, startDay, startTime)} to ${shownTime(endYear, endMonth, endDay, endTime)} lasts more than 31 days`);
  }
  return { start: s, end: e };
}

function trimmedLength(body: string): number {
  let n = body.length;
  while (n > 0 && body.charCodeAt(n - 1) === 32) n--;
  return n;
}

/** Reads a KA/KB/KE/KH/KI/KJ record; throws RecordError when it cannot. */
export function readFixed(body: string, letter: string, env: Env): { parties: Parties; span: Span } {
  const kind = FIXED_KINDS[letter]!;
  const length = trimmedLength(body);
  const max = kind.extended ? EXTENDED_LENGTH : NORMAL_LENGTH;
  if (length < MIN_LENGTH) throw new RecordError(`${kind.name} record is ${length} characters, cut short: its columns run to ${max}`);
  if (length > max) throw new RecordError(`${kind.name} record is ${length} characters, longer than the ${max} of its layout`);
  const partyKind = PARTY_KINDS[body[COL.partyKind]!];
  if (!partyKind) throw new RecordError(`calling-party kind [${COL.partyKind}] ${shown(body[COL.partyKind]!)} is not 0, 1, 2 or 3`);

  const extra: Parties['extra'] = { recordKind: kind.name, callingPartyKind: partyKind };
  const route = take(body, COL.route, COL.route + 3, NUMBER, 'route');
  if (route !== null) extra.route = route;
  readExtras(body, extra);
  const calling = take(body, COL.calling, COL.calling + 6, NUMBER, 'calling number');
  const p: Parties = {
    direction: 'unknown',
    extension: null,
    callerNumber: null,
    dialedNumber: null,
    trunk: routeTrunk(route, take(body, COL.trunk, COL.trunk + 3, NUMBER, 'trunk')),
    accountCode: take(body, COL.account, COL.account + 10, DIAL, 'account code'),
    extra,
  };
  const cpn = kind.extended ? readCpn(body, extra) : null;
  const station = partyKind !== 'incoming-trunk';
  if (!station && calling !== null) extra.callingTrunk = calling;

  if (kind.call === 'station') {
    p.direction = 'internal';
    p.extension = p.callerNumber = calling;
    p.trunk = null;
    const calledTenant = take(body, COL.calledTenant, COL.calledTenant + 2, NUMBER, 'called tenant');
    if (calledTenant !== null) extra.calledTenant = calledTenant;
    p.dialedNumber = take(body, COL.calledStation, COL.calledStation + 6, NUMBER, 'called station');
    if (!blank(body, 69, 85)) {
      throw new RecordError(`called party [61:69] is followed by ${shown(body.slice(69, 85).trim())} in [69:85], which a station-to-station record leaves blank`);
    }
  } else if (kind.call === 'outgoing') {
    p.direction = 'outbound';
    if (station) p.extension = p.callerNumber = calling;
    p.dialedNumber = take(body, COL.dialled, COL.dialled + 24, DIAL, 'dialled number');
    if (cpn !== null) extra.callingPartyNumber = cpn;
  } else {
    // Incoming: the answering station sits in the calling-number columns; when those hold the
    // incoming route and trunk instead (calling-party kind 2), the station is in the called number.
    p.direction = 'inbound';
    const called = take(body, COL.dialled, COL.dialled + 24, DIAL, 'called number');
    p.extension = station ? calling : called;
    p.dialedNumber = called ?? p.extension;
    p.callerNumber = cpn;
  }
  return { parties: p, span: spanOf(body, env) };
}

/** The columns that are usually blank: one look at a blank stretch skips several. */
function readExtras(body: string, extra: Parties['extra']): void {
  let v = take(body, COL.tenant, COL.tenant + 2, NUMBER, 'tenant');
  if (v !== null) extra.tenant = v;
  v = take(body, COL.conditions, COL.conditions + 3, NUMBER, 'condition codes');
  if (v !== null) extra.conditionCodes = v;
  if (!blank(body, COL.routeUsed, COL.dialled)) {
    v = take(body, COL.routeUsed, COL.routeUsed + 3, NUMBER, 'route advance (used)');
    if (v !== null) extra.routeUsed = v;
    v = take(body, COL.routeFirst, COL.routeFirst + 3, NUMBER, 'route advance (first choice)');
    if (v !== null) extra.routeFirstChoice = v;
  }
  const pulses = takeNumber(body, COL.pulses, COL.pulses + 4, 'metering pulses');
  if (pulses !== null) extra.meteringPulses = pulses;
  if (!blank(body, COL.officeCalling, COL.startYear)) {
    v = take(body, COL.officeCalling, COL.officeCalling + 4, NUMBER, 'office code of calling party');
    if (v !== null) extra.officeCodeCalling = v;
    v = take(body, COL.officeBilling, COL.officeBilling + 4, NUMBER, 'office code of billing office');
    if (v !== null) extra.officeCodeBilling = v;
    v = take(body, COL.authorization, COL.authorization + 10, DIAL, 'authorization code');
    if (v !== null) extra.authorizationCode = v;
  }
  readCharge(body, extra);
  v = take(body, COL.attendant, COL.attendant + 3, NUMBER, 'bill notification attendant');
  if (v !== null) extra.attendant = v;
}

/**
 * Condition C: the charge's unit code [119] (0 no charge information, F charge error, others a unit
 * that varies by software level) and the charge [120:126] in that unit, both kept as printed.
 */
function readCharge(body: string, extra: Parties['extra']): void {
  const code = body.charCodeAt(COL.chargeCode);
  if (!(code >= 48 && code <= 57) && !(code >= 65 && code <= 70) && code !== 32) {
    throw new RecordError(`charge unit code [${COL.chargeCode}] ${shown(body[COL.chargeCode]!)} is not 0-9 or A-F`);
  }
  if (code !== 32 && code !== 48) {
    extra.chargeUnitCode = body[COL.chargeCode]!;
    const charge = takeNumber(body, COL.charge, COL.charge + 6, 'charge');
    if (charge !== null) extra.charge = charge;
  }
  const notification = body.charCodeAt(COL.billNotification);
  if (notification === notification && notification !== 32) extra.billNotification = body[COL.billNotification]!;
}

/** Extended records: the calling party number / ANI [132:164] and its presentation code [131]. */
function readCpn(body: string, extra: Parties['extra']): string | null {
  const presentation = body[COL.cpnPresentation];
  if (presentation !== undefined && presentation !== ' ') extra.cpnPresentation = presentation;
  const data = body[COL.dataId];
  if (data !== undefined && data !== ' ') extra.dataId = data;
  return take(body, COL.cpn, COL.cpn + 32, DIAL, 'calling party number');
}
