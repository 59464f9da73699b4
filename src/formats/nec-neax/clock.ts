import { fromLocal, offsetAt, toIso, type LocalTime } from '../../core/time.js';

// Local wall-clock times of the switch → instants, fast: the zone's offset is looked up once per
// local day and reused for every record of that day unless a DST change is near.

const DAY_MS = 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export interface Stamp {
  epochMs: number;
  offsetMinutes: number;
  /** ISO-8601 with the offset. */
  iso: string;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => pad2(n));

function offsetSuffix(minutes: number): string {
  const abs = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + pad2(Math.floor(abs / 60)) + ':' + pad2(abs % 60);
}

/** A local day whose UTC offset holds all day: its offset and the ISO date text. */
interface SteadyDay {
  /** Date.UTC of the day's midnight. */
  midnight: number;
  offset: number;
  /** `YYYY-MM-DDT` */
  date: string;
  /** `ss+hh:mm` for each second: an ISO time is then the date, `hh:mm:` and this, two joins. */
  secondsSuffix: readonly string[];
}

/** `hh:mm:` for each minute of the day. */
const HOUR_MINUTE = Array.from({ length: 1440 }, (_, m) => TWO_DIGITS[Math.floor(m / 60)] + ':' + TWO_DIGITS[m % 60] + ':');
/** Offset in minutes → the `ss+hh:mm` texts of its days (a zone has few offsets). */
const SECONDS_SUFFIX = new Map<number, readonly string[]>();

function secondsSuffix(offset: number): readonly string[] {
  let texts = SECONDS_SUFFIX.get(offset);
  if (texts === undefined) {
    const suffix = offsetSuffix(offset);
    texts = TWO_DIGITS.map((ss) => ss + suffix);
    SECONDS_SUFFIX.set(offset, texts);
  }
  return texts;
}

export class SwitchClock {
  /** YYYYMMDD → the day, or null when the zone's offset changes nearby. */
  private readonly days = new Map<number, SteadyDay | null>();
  private lastKey = -1;
  private lastDay: SteadyDay | null = null;

  constructor(private readonly timeZone: string) {}

  /** The instant of a valid local time (validate first). */
  at(t: LocalTime): Stamp {
    return this.stamp(t.year, t.month, t.day, t.hour, t.minute, t.second);
  }

  /** `at` for the fields of a valid local time, without a LocalTime object. */
  stamp(year: number, month: number, day: number, hour: number, minute: number, second: number): Stamp {
    const steady = this.steadyDay(year, month, day);
    if (steady === null) {
      const z = fromLocal({ year, month, day, hour, minute, second }, this.timeZone);
      return { epochMs: z.epochMs, offsetMinutes: z.offsetMinutes, iso: toIso(z.epochMs, z.offsetMinutes) };
    }
    const minuteOfDay = hour * 60 + minute;
    const iso = steady.date + HOUR_MINUTE[minuteOfDay] + steady.secondsSuffix[second];
    const naive = steady.midnight + (minuteOfDay * 60 + second) * 1000;
    return { epochMs: naive - steady.offset * 60000, offsetMinutes: steady.offset, iso };
  }

  /**
   * An end time read as earlier than its start: on the night clocks go back, a wall-clock time after
   * the change reads as its first occurrence. Retries the end with the offset after the change.
   */
  laterOccurrence(end: Stamp, start: Stamp): Stamp | null {
    const after = offsetAt(this.timeZone, end.epochMs + DAY_MS);
    const shift = end.offsetMinutes - after;
    if (shift <= 0) return null;
    const epochMs = end.epochMs + shift * 60000;
    if (epochMs < start.epochMs || offsetAt(this.timeZone, epochMs) !== after) return null;
    return { epochMs, offsetMinutes: after, iso: toIso(epochMs, after) };
  }

  private steadyDay(year: number, month: number, date: number): SteadyDay | null {
    const key = (year * 100 + month) * 100 + date;
    // Records come in time order: most fall on the day of the one before.
    if (key === this.lastKey) return this.lastDay;
    let day = this.days.get(key);
    if (day === undefined) {
      // The instant of any time that day lies within ±14 h of it: one day either side brackets it.
      const midnight = Date.UTC(year, month - 1, date);
      const before = offsetAt(this.timeZone, midnight - DAY_MS);
      const after = offsetAt(this.timeZone, midnight + 2 * DAY_MS);
      const text = String(year).padStart(4, '0') + '-' + pad2(month) + '-' + pad2(date) + 'T';
      day = before === after ? { midnight, offset: before, date: text, secondsSuffix: secondsSuffix(before) } : null;
      if (this.days.size > 10_000) this.days.clear();
      this.days.set(key, day);
    }
    this.lastKey = key;
    this.lastDay = day;
    return day;
  }
}

/** How far after the reference date a yearless date may lie and still be this year's. */
const FUTURE_SLACK_DAYS = 7;

/** The day records were received, for dates printed without a year. */
export class ReferenceDate {
  private constructor(
    readonly year: number,
    private readonly dayNumber: number,
  ) {}

  static parse(text: string): ReferenceDate | null {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) return null;
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!isRealDate(year, month, day)) return null;
    return new ReferenceDate(year, Date.UTC(year, month - 1, day) / DAY_MS);
  }

  /**
   * The year of a month and day printed without one. A switch prints a record when the call ends,
   * so the date is at most a few days after the day it was received (clock skew): the latest year
   * that keeps it so. 12-31 received on 01-01 is last year's; 02-29 goes back to a leap year.
   */
  yearOf(month: number, day: number): number | null {
    for (let year = this.year + 1; year >= this.year - 4; year--) {
      if (isRealDate(year, month, day) && Date.UTC(year, month - 1, day) / DAY_MS <= this.dayNumber + FUTURE_SLACK_DAYS) return year;
    }
    return null;
  }
}

const MAX_SPAN_MS = 31 * DAY_MS;

export interface Span {
  start: Stamp;
  end: Stamp;
}

function shownLocal(t: LocalTime): string {
  return `${t.year}-${pad2(t.month)}-${pad2(t.day)} ${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}`;
}

/** Checks a local time's fields; returns why they are not a real date and time, or null. */
export function invalidLocal(t: LocalTime): string | null {
  if (!isRealDate(t.year, t.month, t.day)) return `${t.year}-${pad2(t.month)}-${pad2(t.day)} is not a real date`;
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return `${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)} is not a real time`;
  return null;
}

/**
 * The instants of a call's start and end in the switch's zone. An end that reads earlier than the
 * start is retried as the second occurrence of a repeated hour (the night clocks go back).
 */
export function callSpan(clock: SwitchClock, start: LocalTime, end: LocalTime): Span | string {
  const startProblem = invalidLocal(start);
  if (startProblem) return `start time: ${startProblem}`;
  const endProblem = invalidLocal(end);
  if (endProblem) return `end time: ${endProblem}`;
  const s = clock.at(start);
  let e = clock.at(end);
  if (e.epochMs < s.epochMs) {
    const later = clock.laterOccurrence(e, s);
    if (!later) return `end time ${shownLocal(end)} is before start time ${shownLocal(start)}`;
    e = later;
  }
  if (e.epochMs - s.epochMs > MAX_SPAN_MS) return `call from ${shownLocal(start)} to ${shownLocal(end)} lasts more than 31 days`;
  return { start: s, end: e };
}
