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
const offsetCache = new Map<string, number>();
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
  const key = timeZone + '|' + bucket;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const at = bucket * QUARTER_HOUR;
  const parts = formatterFor(timeZone).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((asUtc - at) / 60000);
  if (offsetCache.size > 200_000) offsetCache.clear();
  offsetCache.set(key, offset);
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

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** ISO-8601 with the offset, e.g. `2015-10-21T12:13:10+02:00`. */
export function toIso(epochMs: number, offsetMinutes: number): string {
  const d = new Date(epochMs + offsetMinutes * 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    d.getUTCFullYear() +
    '-' +
    pad2(d.getUTCMonth() + 1) +
    '-' +
    pad2(d.getUTCDate()) +
    'T' +
    pad2(d.getUTCHours()) +
    ':' +
    pad2(d.getUTCMinutes()) +
    ':' +
    pad2(d.getUTCSeconds()) +
    sign +
    pad2(Math.floor(abs / 60)) +
    ':' +
    pad2(abs % 60)
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
  const daysInMonth = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  return t.day <= daysInMonth;
}
