import type { LocalTime } from '../../core/time.js';
import { callSpan, invalidLocal, type Span, type Stamp } from './clock.js';
import { RecordError, type Env } from './columns.js';
import { PARTY_KINDS, routeTrunk, setExtra, type Parties } from './record.js';
import { readDigits } from '../../core/digits.js';
import { fieldAt, isBlank, isDialString, shown } from '../../core/text.js';

// The flexible records (KK outgoing, KL incoming, KM station-to-station): after "0!K" and the kind
// letter comes a run of items, each a two-digit item number, a two-digit length and that many
// characters, in ascending item order. The length counts the item's own characters, as NEC's
// SV8500 manual shows it ("07 01~16: account code, max. 16 digits"). Descriptions and hand-made
// samples that count it otherwise do not add up; such a record is rejected, never guessed at.

const FIRST_ITEM = 4;

/** Allowed lengths of the items NEC documents: [min, max]. */
const ITEM_SIZES: ReadonlyMap<number, readonly [number, number]> = new Map([
  [1, [12, 12]], // trunk: FPC, physical route, trunk, logical route (3 each)
  [2, [10, 10]], // calling party: kind, tenant (3), station (6)
  [3, [3, 22]], // calling party telephone number: FPC, user group, number (up to 16)
  [4, [10, 10]], // called party: kind, tenant (3), station (6)
  [5, [3, 22]], // called party telephone number
  [6, [34, 34]], // start and end: YYYYMMDDhhmmss and milliseconds, twice
  [7, [0, 16]], // account code
  [8, [3, 3]], // condition B
  [9, [18, 18]], // alternate routing: FPC, physical and logical route, used and first selected
  [10, [0, 32]], // dial code
  [11, [8, 8]], // office codes of the calling party and of the billing office
  [12, [0, 16]], // authorization code
  [13, [1, 16]], // condition C: charge unit code, then the charge or metering
  [14, [1, 4]], // condition D: bill notification, then the attendant number
  [15, [3, 3]], // department code
  [16, [1, 33]], // calling party number / ANI: presentation code, then up to 32 digits
  [17, [0, 16]], // converted number
  [18, [10, 10]], // MA-IDs of the calling party and of the route
  [19, [17, 17]], // when the incoming trunk call arrived: YYYYMMDDhhmmss and milliseconds
]);

const ITEM_NAMES: Readonly<Record<number, string>> = {
  1: 'trunk',
  2: 'calling party',
  3: 'calling telephone number',
  4: 'called party',
  5: 'called telephone number',
  6: 'call times',
  7: 'account code',
  10: 'dial code',
  12: 'authorization code',
  16: 'calling number',
  17: 'converted number',
  19: 'trunk arrival time',
};

function label(id: number): string {
  const n = id < 10 ? '0' + id : String(id);
  return ITEM_NAMES[id] ? `item ${n} (${ITEM_NAMES[id]})` : `item ${n}`;
}

export interface Items {
  /** Item number → its characters. */
  values: (string | undefined)[];
  /** Item numbers beyond those NEC documents: listed in extra.unknownItems, not read. */
  unknown: number[];
}

/** Walks the items; throws RecordError unless they add up exactly to the record's end. */
export function readItems(body: string): Items {
  const values = new Array<string | undefined>(100);
  const unknown: number[] = [];
  let at = FIRST_ITEM;
  let last = 0;
  while (at < body.length && !isBlank(body, at, body.length)) {
    const id = readDigits(body, at, at + 2);
    const length = readDigits(body, at + 2, at + 4);
    if (id < 0 || length < 0) {
      throw new RecordError(`items do not add up: [${at}:${at + 4}] ${shown(body.slice(at, at + 4))} is not an item number and length`);
    }
    if (id === 0 || id <= last) throw new RecordError(`items do not add up: ${label(id)} at [${at}] comes after item ${last}`);
    const end = at + 4 + length;
    if (end > body.length) {
      throw new RecordError(`items do not add up: ${label(id)} at [${at}] claims ${length} characters, ${body.length - at - 4} remain`);
    }
    const size = ITEM_SIZES.get(id);
    if (size && (length < size[0] || length > size[1])) {
      const expected = size[0] === size[1] ? String(size[0]) : `${size[0]} to ${size[1]}`;
      throw new RecordError(`items do not add up: ${label(id)} at [${at}] is ${length} characters long, not ${expected}`);
    }
    if (!size) unknown.push(id);
    values[id] = body.slice(at + 4, end);
    last = id;
    at = end;
  }
  return { values, unknown };
}

function dial(items: Items, id: number, from = 0): string | null {
  const v = items.values[id];
  if (v === undefined) return null;
  const t = (from === 0 ? v : v.slice(from)).trim();
  if (!isDialString(t, true)) throw new RecordError(`${label(id)} ${shown(v)} holds more than digits, * and #`);
  return t === '' ? null : t;
}

function numeric(items: Items, id: number, from: number, to: number): string | null {
  const v = items.values[id];
  if (v === undefined) return null;
  const t = fieldAt(v, from, to);
  if (t !== null && !isDialString(t, false)) throw new RecordError(`${label(id)} ${shown(v)}: [${from}:${to}] is not a number`);
  return t;
}

/** YYYYMMDDhhmmss and three digits of milliseconds (not kept: calls are timed in seconds). */
function fullTime(value: string, at: number, id: number): LocalTime {
  const n = readDigits(value, at, at + 14);
  const year = Math.floor(n / 10_000_000_000);
  if (n < 0 || year < 1970 || readDigits(value, at + 14, at + 17) < 0) {
    throw new RecordError(`${label(id)} ${shown(value.slice(at, at + 17))} is not YYYYMMDDhhmmss and milliseconds`);
  }
  const mmdd = Math.floor(n / 1_000_000) % 10_000;
  const hhmmss = n % 1_000_000;
  return {
    year,
    month: Math.floor(mmdd / 100),
    day: mmdd % 100,
    hour: Math.floor(hhmmss / 10_000),
    minute: Math.floor(hhmmss / 100) % 100,
    second: hhmmss % 100,
  };
}

/** A calling or called party (items 02, 04): kind, tenant (3), station (6). */
function party(items: Items, id: number): { kind: string; tenant: string | null; station: string | null } | null {
  const v = items.values[id];
  if (v === undefined) return null;
  const kind = PARTY_KINDS[v[0]!];
  if (!kind) throw new RecordError(`${label(id)} ${shown(v)}: kind ${shown(v[0]!)} is not 0, 1, 2 or 3`);
  return { kind, tenant: numeric(items, id, 1, 4), station: numeric(items, id, 4, 10) };
}

/** A telephone number item (03, 05): FPC, user group, number. */
function telephone(items: Items, id: number): string | null {
  const v = items.values[id];
  return v === undefined || v.length <= 6 ? null : dial(items, id, 6);
}

/** The items that are often absent: each costs one look when it is. */
function readExtras(items: Items, extra: Parties['extra']): void {
  const v = items.values;
  if (v[3] !== undefined) setExtra(extra, 'callingTelephoneNumber', telephone(items, 3));
  if (v[8] !== undefined) setExtra(extra, 'conditionCodes', numeric(items, 8, 0, 3));
  if (v[9] !== undefined) {
    setExtra(extra, 'routeUsed', numeric(items, 9, 3, 6));
    setExtra(extra, 'routeFirstChoice', numeric(items, 9, 12, 15));
  }
  if (v[11] !== undefined) {
    setExtra(extra, 'officeCodeCalling', numeric(items, 11, 0, 4));
    setExtra(extra, 'officeCodeBilling', numeric(items, 11, 4, 8));
  }
  if (v[12] !== undefined) setExtra(extra, 'authorizationCode', dial(items, 12));
  const charge = v[13];
  if (charge !== undefined && charge[0] !== '0') {
    extra.chargeUnitCode = charge[0]!;
    const digits = numeric(items, 13, 1, charge.length);
    if (digits !== null) extra.charge = Number(digits);
  }
  const conditionD = v[14];
  if (conditionD !== undefined) {
    extra.billNotification = conditionD[0]!;
    setExtra(extra, 'attendant', numeric(items, 14, 1, 4));
  }
  if (v[15] !== undefined) setExtra(extra, 'departmentCode', numeric(items, 15, 0, 3));
  if (v[17] !== undefined) setExtra(extra, 'convertedNumber', dial(items, 17));
  if (v[18] !== undefined) {
    setExtra(extra, 'maIdCalling', numeric(items, 18, 0, 5));
    setExtra(extra, 'maIdRoute', numeric(items, 18, 5, 10));
  }
  if (items.unknown.length > 0) extra.unknownItems = items.unknown.join(',');
}

const RECORD_KINDS: Readonly<Record<string, string>> = { K: 'KK', L: 'KL', M: 'KM' };

/** Reads a KK/KL/KM record; throws RecordError when it cannot. */
export function readFlexible(body: string, letter: string, env: Env): { parties: Parties; span: Span; arrived: Stamp | null } {
  const items = readItems(body);
  const times = items.values[6];
  if (times === undefined) throw new RecordError('item 06 (call times) is missing');
  const span = callSpan(env.clock, fullTime(times, 0, 6), fullTime(times, 17, 6));
  if (typeof span === 'string') throw new RecordError(`${label(6)}: ${span}`);

  const extra: Parties['extra'] = { recordKind: RECORD_KINDS[letter]! };
  const route = numeric(items, 1, 3, 6);
  if (items.values[1] !== undefined) {
    setExtra(extra, 'route', route);
    setExtra(extra, 'fpc', numeric(items, 1, 0, 3));
    setExtra(extra, 'logicalRoute', numeric(items, 1, 9, 12));
  }
  readExtras(items, extra);
  const p: Parties = {
    direction: 'unknown',
    extension: null,
    callerNumber: null,
    dialedNumber: dial(items, 10),
    trunk: routeTrunk(route, numeric(items, 1, 6, 9)),
    accountCode: dial(items, 7),
    extra,
  };
  const ani = dial(items, 16, 1);
  const presentation = items.values[16];
  if (presentation !== undefined) extra.aniPresentation = presentation[0]!;
  const calledTelephone = telephone(items, 5);
  if (calledTelephone !== null) extra.calledTelephoneNumber = calledTelephone;
  let arrived: Stamp | null = null;

  const calling = letter === 'L' ? null : party(items, 2);
  if (calling) {
    extra.callingPartyKind = calling.kind;
    setExtra(extra, 'tenant', calling.tenant);
    if (calling.kind !== 'incoming-trunk') p.extension = p.callerNumber = calling.station;
    else setExtra(extra, 'callingTrunk', calling.station);
  }
  const called = letter === 'K' ? null : party(items, 4);
  if (called) {
    extra.calledPartyKind = called.kind;
    setExtra(extra, 'calledTenant', called.tenant);
  }
  if (letter === 'L') {
    p.direction = 'inbound';
    p.extension = called?.station ?? null;
    p.callerNumber = ani;
    p.dialedNumber ??= calledTelephone ?? p.extension;
    arrived = arrival(items, span, env);
  } else if (letter === 'M') {
    p.direction = 'internal';
    p.trunk = null;
    p.dialedNumber ??= calledTelephone ?? called?.station ?? null;
  } else {
    p.direction = 'outbound';
    if (ani !== null) extra.ani = ani;
  }
  return { parties: p, span, arrived };
}

/** Item 19: when the incoming trunk call arrived, before it was answered (the ring time). */
function arrival(items: Items, span: Span, env: Env): Stamp | null {
  const v = items.values[19];
  if (v === undefined) return null;
  const t = fullTime(v, 0, 19);
  const problem = invalidLocal(t);
  if (problem) throw new RecordError(`${label(19)}: ${problem}`);
  const stamp = env.clock.at(t);
  if (stamp.epochMs > span.start.epochMs) throw new RecordError(`${label(19)} ${shown(v)} is after the call's start`);
  if (span.start.epochMs - stamp.epochMs > 86_400_000) throw new RecordError(`${label(19)} ${shown(v)} is more than a day before the call's start`);
  return stamp;
}
