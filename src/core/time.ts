import { digitsAt } from './digits.js';
// Local wall-clock time in a switch's time zone → an instant with its UTC offset.
//
// Written by hand rather than with a date library because parsers call it for every record and
// must reach hundreds of thousands of records per second: offsets are looked up once per zone and
// quarter hour through Intl and cached.

export interface LocalTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface ZonedInstant {
  /** Milliseconds since the epoch. */
  epochMs: number;
  /** The zone's offset from UTC at that instant, in minutes (east positive). */
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per zone: offset by quarter-hour bucket. Number keys keep the lookup cheap. */
const offsetCache = new Map<string, Map<number, number>>();
const QUARTER_HOUR = 15 * 60 * 1000;
const DAY = 24 * 3600 * 1000;
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset in minutes at an instant. */
export function offsetAt(timeZone: string, epochMs: number): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const bucket = Math.floor(epochMs / QUARTER_HOUR);
  let zone = offsetCache.get(timeZone);
  if (!zone) {
    zone = new Map();
    offsetCache.set(timeZone, zone);
  }
  const cached = zone.get(bucket);
  if (cached !== undefined) return cached;
  const at = bucket * QUARTER_HOUR;
  const parts = formatterFor(timeZone).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((asUtc - at) / 60000);
  if (zone.size > 200_000) zone.clear();
  zone.set(bucket, offset);
  return offset;
}

/**
 * The instant of a local time. A time skipped by a DST change is read with the offset before the
 * change (02:30 on a spring-forward night becomes 03:30); a repeated time takes its first occurrence.
 */
export function fromLocal(t: LocalTime, timeZone: string): ZonedInstant {
  const naive = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  // The instant lies within ±14 h of `naive`; sampling a day either side brackets any transition.
  const before = offsetAt(timeZone, naive - DAY);
  const after = offsetAt(timeZone, naive + DAY);
  if (before === after) return { epochMs: naive - before * 60000, offsetMinutes: before };
  // Near a transition: try each candidate offset and keep the one that maps back to this local time.
  for (const offset of [before, after]) {
    const epochMs = naive - offset * 60000;
    if (offsetAt(timeZone, epochMs) === offset) return { epochMs, offsetMinutes: offset };
  }
  const epochMs = naive - before * 60000;
  return { epochMs, offsetMinutes: offsetAt(timeZone, epochMs) };
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? '0' : '') + n);
const offsetText = new Map<number, string>();
/** The local day toIso wrote last: [lastDayStart, lastDayStart + DAY) and its `YYYY-MM-DDT`. */
let lastDayStart = NaN;
let lastDayText = '';
let lastOffset = NaN;
let lastOffsetText = '';

function offsetSuffix(offsetMinutes: number): string {
  if (offsetMinutes === lastOffset) return lastOffsetText;
  let text = offsetText.get(offsetMinutes);
  if (text === undefined) {
    const abs = Math.abs(offsetMinutes);
    text = (offsetMinutes < 0 ? '-' : '+') + TWO_DIGITS[Math.floor(abs / 60)]! + ':' + TWO_DIGITS[abs % 60]!;
    offsetText.set(offsetMinutes, text);
  }
  lastOffset = offsetMinutes;
  lastOffsetText = text;
  return text;
}

/** ISO-8601 with the offset, e.g. `2015-10-21T12:13:10+02:00`. Whole seconds. */
export function toIso(epochMs: number, offsetMinutes: number): string {
  const local = epochMs + offsetMinutes * 60000;
  if (!(local >= lastDayStart && local < lastDayStart + DAY)) {
    lastDayStart = Math.floor(local / DAY) * DAY;
    const d = new Date(lastDayStart);
    lastDayText = d.getUTCFullYear() + '-' + TWO_DIGITS[d.getUTCMonth() + 1]! + '-' + TWO_DIGITS[d.getUTCDate()]! + 'T';
  }
  // Small integers from here on (`| 0`): integer division and remainder cost less than on doubles.
  const secondOfDay = ((local - lastDayStart) / 1000) | 0;
  const minuteOfDay = (secondOfDay / 60) | 0;
  return (
    lastDayText +
    TWO_DIGITS[(minuteOfDay / 60) | 0]! +
    ':' +
    TWO_DIGITS[minuteOfDay % 60]! +
    ':' +
    TWO_DIGITS[secondOfDay - minuteOfDay * 60]! +
    offsetSuffix(offsetMinutes)
  );
}

/** The ISO string of an instant in a zone. */
export function isoInZone(epochMs: number, timeZone: string): string {
  return toIso(epochMs, offsetAt(timeZone, epochMs));
}

/**
 * fromLocal and isoInZone for one zone, for parsers: they convert a few times per record and must
 * keep up with hundreds of thousands of records per second, and even the cached lookups behind
 * fromLocal cost more than the rest of a simple record.
 *
 * The clock remembers a window of three UTC days in which the zone's offset does not change (any
 * window but those touching a DST change); inside it a conversion is arithmetic. Elsewhere it asks
 * fromLocal and isoInZone, so its answers are exactly theirs on every day, DST changes included
 * (the property test in time.test.ts holds it to that). Records come roughly in time order, so the
 * window moves about once a day. It keeps only a cache: one clock can serve any number of streams.
 */
export class ZoneClock {
  /** The UTC window [from, to) in which the zone's offset is `offset` throughout; empty until loaded. */
  private from = 0;
  private to = 0;
  private offset = 0;
  /** The UTC day whose window was last found to hold an offset change, so as not to look again. */
  private changeDay = NaN;
  /** The last date `instant` was given, as (year·16 + month)·32 + day, and its naive midnight. */
  private dateKey = -1;
  private dateNaive = 0;

  constructor(readonly timeZone: string) {}

  /** fromLocal for a local date and a second of that day (0 … 86399). */
  instant(year: number, month: number, day: number, secondOfDay: number): ZonedInstant {
    const key = (year * 16 + month) * 32 + day;
    if (key !== this.dateKey) {
      this.dateKey = key;
      this.dateNaive = Date.UTC(year, month - 1, day);
    }
    return this.fromNaive(this.dateNaive + secondOfDay * 1000);
  }

  /** fromLocal. */
  local(t: LocalTime): ZonedInstant {
    return this.instant(t.year, t.month, t.day, (t.hour * 60 + t.minute) * 60 + t.second);
  }

  /** fromLocal for a local time given as naive milliseconds: `Date.UTC` of its fields. */
  fromNaive(naive: number): ZonedInstant {
    // fromLocal takes the offset a day either side of `naive` when the two agree: they do in the window.
    if ((naive - DAY < this.from || naive + DAY >= this.to) && !this.load(naive)) return this.nearChange(naive);
    return { epochMs: naive - this.offset * 60000, offsetMinutes: this.offset };
  }

  /** isoInZone. */
  iso(epochMs: number): string {
    if ((epochMs < this.from || epochMs >= this.to) && !this.load(epochMs)) return isoInZone(epochMs, this.timeZone);
    return toIso(epochMs, this.offset);
  }

  /** fromLocal itself (kept out of fromNaive, which stays small enough for the engine to inline). */
  private nearChange(naive: number): ZonedInstant {
    const d = new Date(naive);
    const t = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
    return fromLocal(t, this.timeZone);
  }

  /** Moves the window to the UTC day of `ms` and one day either side; false if the offset changes within. */
  private load(ms: number): boolean {
    const day = Math.floor(ms / DAY);
    if (day === this.changeDay) return false;
    const from = (day - 1) * DAY;
    const to = (day + 2) * DAY;
    // Offsets change a few times a year at most, so the same offset at both ends holds throughout.
    const offset = offsetAt(this.timeZone, from);
    if (offsetAt(this.timeZone, to - 1) !== offset) {
      this.changeDay = day;
      return false;
    }
    this.from = from;
    this.to = to;
    this.offset = offset;
    return true;
  }
}

/**
 * A local time read as its first occurrence (fromLocal's choice) that falls before `minMs` (the
 * call's start, say) is the second occurrence when the clocks went back in between: 01:08 after
 * a call started at 01:59 on the night of the change. Otherwise `at` as it is.
 */
export function notBefore<T extends ZonedInstant | null>(at: T, minMs: number, timeZone: string): T | ZonedInstant {
  if (at === null || at.epochMs >= minMs) return at;
  const naive = at.epochMs + at.offsetMinutes * 60_000;
  const later = offsetAt(timeZone, naive + DAY);
  const epochMs = naive - later * 60_000;
  return epochMs >= minMs && offsetAt(timeZone, epochMs) === later ? { epochMs, offsetMinutes: later } : at;
}

/** Adds seconds to an ISO string produced by `toIso`, keeping the zone's offset rules. */
export function addSeconds(iso: string, seconds: number, timeZone: string): string {
  return isoInZone(Date.parse(iso) + seconds * 1000, timeZone);
}

/** True when the fields form a real calendar date and time. */
export function isValidLocal(t: LocalTime): boolean {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.hour > 23 || t.minute > 59 || t.second > 59) return false;
  if (t.hour < 0 || t.minute < 0 || t.second < 0) return false;
  return t.day <= daysInMonth(t.year, t.month);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

function twoDigitsAt(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
}

/** Epoch ms of an ISO string as toIso writes it (`2026-01-15T08:00:05+01:00`), without Date.parse. */
export function epochOfIso(iso: string): number {
  if (iso.length !== 25 || iso[10] !== 'T') return Date.parse(iso);
  const offset = (twoDigitsAt(iso, 20) * 60 + twoDigitsAt(iso, 23)) * (iso[19] === '-' ? -60000 : 60000);
  return (
    Date.UTC(
      twoDigitsAt(iso, 0) * 100 + twoDigitsAt(iso, 2),
      twoDigitsAt(iso, 5) - 1,
      twoDigitsAt(iso, 8),
      twoDigitsAt(iso, 11),
      twoDigitsAt(iso, 14),
      twoDigitsAt(iso, 17),
    ) - offset
  );
}

/**
 * `YYYY?MM?DD hh:mm:ss` (the date separator given) → local time; null when the text has another
 * shape, 'invalid' for 02/30 and the like.
 */
export function readStamp(s: string, dateSeparator: string): LocalTime | null | 'invalid' {
  if (s.length !== 19 || s[4] !== dateSeparator || s[7] !== dateSeparator || s[10] !== ' ' || s[13] !== ':' || s[16] !== ':') return null;
  const t = {
    year: digitsAt(s, 0, 4),
    month: digitsAt(s, 5, 2),
    day: digitsAt(s, 8, 2),
    hour: digitsAt(s, 11, 2),
    minute: digitsAt(s, 14, 2),
    second: digitsAt(s, 17, 2),
  };
  if (t.year < 0 || t.month < 0 || t.day < 0 || t.hour < 0 || t.minute < 0 || t.second < 0) return null;
  // Every month has days 1 to 28: only later days need the calendar.
  const plain = t.day >= 1 && t.day <= 28 && t.month >= 1 && t.month <= 12 && t.hour <= 23 && t.minute <= 59 && t.second <= 59;
  return plain || isValidLocal(t) ? t : 'invalid';
}
