import type { LocalTime } from '../../core/time.js';
import { callSpan, type ReferenceDate, type Span, type SwitchClock } from './clock.js';
import { PARTY_KINDS, routeTrunk, type Parties } from './record.js';
import { readDigits } from '../../core/digits.js';
import { isBlank, shown } from '../../core/text.js';

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

interface Field {
  from: number;
  to: number;
  kind: typeof NUMBER | typeof DIAL;
  /** The field and its columns, for errors. */
  name: string;
}

const field = (from: number, to: number, kind: Field['kind'], name: string): Field => ({
  from,
  to,
  kind,
  name: `${name} [${from}:${to}]`,
});

const F = {
  route: field(COL.route, COL.route + 3, NUMBER, 'route'),
  trunk: field(COL.trunk, COL.trunk + 3, NUMBER, 'trunk'),
  tenant: field(COL.tenant, COL.tenant + 2, NUMBER, 'tenant'),
  calling: field(COL.calling, COL.calling + 6, NUMBER, 'calling number'),
  account: field(COL.account, COL.account + 10, DIAL, 'account code'),
  conditions: field(COL.conditions, COL.conditions + 3, NUMBER, 'condition codes'),
  routeUsed: field(COL.routeUsed, COL.routeUsed + 3, NUMBER, 'route advance (used)'),
  routeFirst: field(COL.routeFirst, COL.routeFirst + 3, NUMBER, 'route advance (first choice)'),
  dialled: field(COL.dialled, COL.dialled + 24, DIAL, 'dialled number'),
  called: field(COL.dialled, COL.dialled + 24, DIAL, 'called number'),
  calledTenant: field(COL.calledTenant, COL.calledTenant + 2, NUMBER, 'called tenant'),
  calledStation: field(COL.calledStation, COL.calledStation + 6, NUMBER, 'called station'),
  pulses: field(COL.pulses, COL.pulses + 4, NUMBER, 'metering pulses'),
  officeCalling: field(COL.officeCalling, COL.officeCalling + 4, NUMBER, 'office code of calling party'),
  officeBilling: field(COL.officeBilling, COL.officeBilling + 4, NUMBER, 'office code of billing office'),
  authorization: field(COL.authorization, COL.authorization + 10, DIAL, 'authorization code'),
  charge: field(COL.charge, COL.charge + 6, NUMBER, 'charge'),
  attendant: field(COL.attendant, COL.attendant + 3, NUMBER, 'bill notification attendant'),
  cpn: field(COL.cpn, COL.cpn + 32, DIAL, 'calling party number'),
} as const;

function fits(body: string, from: number, to: number, kind: Field['kind']): boolean {
  for (let i = from; i < to; i++) {
    const c = body.charCodeAt(i);
    if ((c < 48 || c > 57) && (kind === NUMBER || (c !== 42 && c !== 35))) return false;
  }
  return true;
}

/** A field's value without surrounding spaces, or null when blank; throws when it holds what it cannot. */
function take(body: string, f: Field): string | null {
  // Bounds first and one slice: this runs for every field of every record.
  let to = Math.min(f.to, body.length);
  while (to > f.from && body.charCodeAt(to - 1) === 32) to--;
  let from = f.from;
  while (from < to && body.charCodeAt(from) === 32) from++;
  if (from >= to) return null;
  if (!fits(body, from, to, f.kind)) {
    throw new RecordError(`${f.name} ${shown(body.slice(f.from, f.to))} ${f.kind === NUMBER ? 'is not a number' : 'holds more than digits, * and #'}`);
  }
  return body.slice(from, to);
}

/** MMDDhhmmss; the year is set once known. */
function monthDayTime(body: string, at: number, name: string): LocalTime {
  const month = readDigits(body, at, at + 2);
  const day = readDigits(body, at + 2, at + 4);
  const hour = readDigits(body, at + 4, at + 6);
  const minute = readDigits(body, at + 6, at + 8);
  const second = readDigits(body, at + 8, at + 10);
  if ((month | day | hour | minute | second) < 0) throw new RecordError(`${name} [${at}:${at + 10}] ${shown(body.slice(at, at + 10))} is not MMDDhhmmss`);
  return { year: 0, month, day, hour, minute, second };
}

/** A printed two-digit year, or null when the record leaves it blank. */
function printedYear(body: string, at: number, name: string): number | null {
  if (body.charCodeAt(at) === 32 && body.charCodeAt(at + 1) === 32) return null;
  if (at >= body.length) return null;
  const yy = readDigits(body, at, at + 2);
  if (yy < 0) throw new RecordError(`${name} [${at}:${at + 2}] ${shown(body.slice(at, at + 2))} is not YY`);
  return 2000 + yy;
}

function before(a: LocalTime, b: LocalTime): boolean {
  return a.month < b.month || (a.month === b.month && a.day < b.day);
}

/**
 * The years of start and end: printed (YY columns) where the record has them, else the end's year
 * from the reference date; a start later in the year than the end is the year before (New Year).
 */
function setYears(body: string, start: LocalTime, end: LocalTime, env: Env): void {
  const startYear = printedYear(body, COL.startYear, 'start year');
  let endYear = printedYear(body, COL.endYear, 'end year');
  const wraps = before(end, start);
  if (endYear === null && startYear !== null) endYear = startYear + (wraps ? 1 : 0);
  if (endYear === null) {
    if (!env.reference) throw new RecordError(`the record has no year and the reference date ${shown(env.referenceText)} is not YYYY-MM-DD`);
    endYear = env.reference.yearOf(end.month, end.day);
    if (endYear === null) throw new RecordError(`end date [${COL.end}:${COL.end + 4}] ${shown(body.slice(COL.end, COL.end + 4))} is not a real month and day`);
  }
  start.year = startYear ?? endYear - (wraps ? 1 : 0);
  end.year = endYear;
}

function spanOf(body: string, env: Env): Span {
  const start = monthDayTime(body, COL.start, 'start time');
  const end = monthDayTime(body, COL.end, 'end time');
  setYears(body, start, end, env);
  const span = callSpan(env.clock, start, end);
  if (typeof span === 'string') throw new RecordError(span);
  return span;
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
  const route = take(body, F.route);
  if (route !== null) extra.route = route;
  readExtras(body, extra);
  const calling = take(body, F.calling);
  const p: Parties = {
    direction: 'unknown',
    extension: null,
    callerNumber: null,
    dialedNumber: null,
    trunk: routeTrunk(route, take(body, F.trunk)),
    accountCode: take(body, F.account),
    extra,
  };
  const cpn = kind.extended ? readCpn(body, extra) : null;
  const station = partyKind !== 'incoming-trunk';
  if (!station && calling !== null) extra.callingTrunk = calling;

  if (kind.call === 'station') {
    p.direction = 'internal';
    p.extension = p.callerNumber = calling;
    p.trunk = null;
    const calledTenant = take(body, F.calledTenant);
    if (calledTenant !== null) extra.calledTenant = calledTenant;
    p.dialedNumber = take(body, F.calledStation);
    if (!isBlank(body, 69, 85)) {
      throw new RecordError(`called party [61:69] is followed by ${shown(body.slice(69, 85).trim())} in [69:85], which a station-to-station record leaves blank`);
    }
  } else if (kind.call === 'outgoing') {
    p.direction = 'outbound';
    if (station) p.extension = p.callerNumber = calling;
    p.dialedNumber = take(body, F.dialled);
    if (cpn !== null) extra.callingPartyNumber = cpn;
  } else {
    // Incoming: the answering station sits in the calling-number columns; when those hold the
    // incoming route and trunk instead (calling-party kind 2), the station is in the called number.
    p.direction = 'inbound';
    const called = take(body, F.called);
    p.extension = station ? calling : called;
    p.dialedNumber = called ?? p.extension;
    p.callerNumber = cpn;
  }
  return { parties: p, span: spanOf(body, env) };
}

/** The columns that are usually blank: one look at a blank stretch skips several. */
function readExtras(body: string, extra: Parties['extra']): void {
  let v = take(body, F.tenant);
  if (v !== null) extra.tenant = v;
  v = take(body, F.conditions);
  if (v !== null) extra.conditionCodes = v;
  if (!isBlank(body, COL.routeUsed, COL.dialled)) {
    v = take(body, F.routeUsed);
    if (v !== null) extra.routeUsed = v;
    v = take(body, F.routeFirst);
    if (v !== null) extra.routeFirstChoice = v;
  }
  v = take(body, F.pulses);
  if (v !== null) extra.meteringPulses = Number(v);
  if (!isBlank(body, COL.officeCalling, COL.startYear)) {
    v = take(body, F.officeCalling);
    if (v !== null) extra.officeCodeCalling = v;
    v = take(body, F.officeBilling);
    if (v !== null) extra.officeCodeBilling = v;
    v = take(body, F.authorization);
    if (v !== null) extra.authorizationCode = v;
  }
  readCharge(body, extra);
  v = take(body, F.attendant);
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
    const charge = take(body, F.charge);
    if (charge !== null) extra.charge = Number(charge);
  }
  const notification = body[COL.billNotification];
  if (notification !== undefined && notification !== ' ') extra.billNotification = notification;
}

/** Extended records: the calling party number / ANI [132:164] and its presentation code [131]. */
function readCpn(body: string, extra: Parties['extra']): string | null {
  const presentation = body[COL.cpnPresentation];
  if (presentation !== undefined && presentation !== ' ') extra.cpnPresentation = presentation;
  const data = body[COL.dataId];
  if (data !== undefined && data !== ' ') extra.dataId = data;
  return take(body, F.cpn);
}
