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
let lastDay = NaN;
let lastDayText = '';

function offsetSuffix(offsetMinutes: number): string {
  let text = offsetText.get(offsetMinutes);
  if (text === undefined) {
    const abs = Math.abs(offsetMinutes);
    text = (offsetMinutes < 0 ? '-' : '+') + TWO_DIGITS[Math.floor(abs / 60)]! + ':' + TWO_DIGITS[abs % 60]!;
    offsetText.set(offsetMinutes, text);
  }
  return text;
}

/** ISO-8601 with the offset, e.g. `2015-10-21T12:13:10+02:00`. Whole seconds. */
export function toIso(epochMs: number, offsetMinutes: number): string {
  const local = epochMs + offsetMinutes * 60000;
  const day = Math.floor(local / DAY);
  if (day !== lastDay) {
    const d = new Date(day * DAY);
    lastDay = day;
    lastDayText = d.getUTCFullYear() + '-' + TWO_DIGITS[d.getUTCMonth() + 1]! + '-' + TWO_DIGITS[d.getUTCDate()]! + 'T';
  }
  const secondOfDay = Math.floor((local - day * DAY) / 1000);
  return (
    lastDayText +
    TWO_DIGITS[Math.floor(secondOfDay / 3600)]! +
    ':' +
    TWO_DIGITS[Math.floor(secondOfDay / 60) % 60]! +
    ':' +
    TWO_DIGITS[secondOfDay % 60]! +
    offsetSuffix(offsetMinutes)
  );
}

/** The ISO string of an instant in a zone. */
export function isoInZone(epochMs: number, timeZone: string): string {
  return toIso(epochMs, offsetAt(timeZone, epochMs));
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
