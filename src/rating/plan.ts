// Rate plans: the model (zod), its validation, and the decimal and period helpers the rater shares.
//
// A plan is modelled on CGRateS' rating data: per destination prefix and effective-from date, one
// tariff per time period (Timings); a tariff has a connect fee, a minimum charge, a maximum cost,
// a rounding method and decimals (DestinationRates), and increments by interval (Rates:
// GroupIntervalStart → fromSecond, RateUnit → unitSeconds, RateIncrement → incrementSeconds).
// README.md in this folder describes the model and the CSV layout.

import { z } from 'zod';
import { CalltrailError } from '../core/errors.js';
import { digitsAt } from '../core/digits.js';
import { fromLocal, isValidTimeZone } from '../core/time.js';

export const PLAN_KINDS = ['sell', 'buy'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];

/** up: towards +∞; down: towards 0; half-up: nearest, .5 up (CGRateS *middle); half-even: nearest, .5 to even. */
export const ROUNDING_METHODS = ['up', 'down', 'half-up', 'half-even'] as const;
export type RoundingMethod = (typeof ROUNDING_METHODS)[number];

/** Money is held as integer nano-units (10⁻⁹ of the currency unit): plan values may have up to 9 decimals. */
export const MAX_DECIMALS = 9;
export const NANO = 1_000_000_000;

/** What counts as absurd (a typo such as 100 for 0.100, or a rate in the wrong unit). */
export const LIMITS = {
  /** A rate above this much per minute (rate × 60 / unitSeconds). */
  ratePerMinute: 1000,
  connectFee: 1000,
  minimumCharge: 1000,
  maxCost: 1_000_000,
  /** unitSeconds and incrementSeconds: 1 s … 1 h. */
  seconds: 3600,
  /** fromSecond of an interval: at most a day into the call. */
  fromSecond: 86_400,
} as const;

const decimalInput = z.union([z.string(), z.number()]).transform((v) => (typeof v === 'number' ? numberText(v) : v.trim()));

const incrementSchema = z.strictObject({
  fromSecond: z.number().int().min(0),
  rate: decimalInput,
  unitSeconds: z.number().int().min(1),
  incrementSeconds: z.number().int().min(1),
});

const tariffSchema = z.strictObject({
  period: z.string().default('any'),
  connectFee: decimalInput.default('0'),
  minimumCharge: decimalInput.default('0'),
  maxCost: decimalInput.nullable().default(null),
  rounding: z.enum(ROUNDING_METHODS).default('half-up'),
  decimals: z.number().int().min(0).max(MAX_DECIMALS).default(4),
  increments: z.array(incrementSchema).min(1, 'a tariff needs at least one increment'),
});

const rateSchema = z.strictObject({
  prefix: z.union([z.string(), z.number().int()]).transform(String),
  destination: z.string().nullable().default(null),
  effectiveFrom: z
    .union([z.string(), z.date()])
    .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v))
    .nullable()
    .default(null),
  tariffs: z.array(tariffSchema).min(1, 'a rate needs at least one tariff'),
});

const periodSchema = z.strictObject({
  name: z.string(),
  when: z.array(z.string()).min(1),
});

const holidaySchema = z.union([
  z.string().transform((date) => ({ date, name: null as string | null })),
  z.date().transform((d) => ({ date: d.toISOString().slice(0, 10), name: null as string | null })),
  z.strictObject({
    date: z.union([z.string(), z.date()]).transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v)),
    name: z.string().nullable().default(null),
  }),
]);

export const ratePlanSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  kind: z.enum(PLAN_KINDS),
  currency: z.string(),
  /** The zone in which periods and effective-from dates are read. */
  timeZone: z.string().default('UTC'),
  tenant: z.string().nullable().default(null),
  carrier: z.string().nullable().default(null),
  trunks: z.array(z.string()).default([]),
  holidays: z.array(holidaySchema).default([]),
  periods: z.array(periodSchema).default([{ name: 'any', when: ['mon-sun'] }]),
  rates: z.array(rateSchema),
});

export type RatePlanInput = z.input<typeof ratePlanSchema>;
export type RatePlan = z.output<typeof ratePlanSchema>;
export type RateEntry = RatePlan['rates'][number];
export type Tariff = RateEntry['tariffs'][number];
export type Increment = Tariff['increments'][number];
export type PeriodDefinition = RatePlan['periods'][number];
export type Holiday = RatePlan['holidays'][number];

export interface PlanProblem {
  path: string;
  message: string;
}

/** Where a problem is, for messages: a YAML path by default, a CSV row number for imported plans. */
export interface PlanLocation {
  rate?: number;
  tariff?: number;
  increment?: number;
  period?: number;
  holiday?: number;
  field?: string;
}
export type Locate = (at: PlanLocation) => string;

export function pathLocator(at: PlanLocation): string {
  let path = '';
  if (at.rate !== undefined) path += `rates[${at.rate}]`;
  if (at.tariff !== undefined) path += `.tariffs[${at.tariff}]`;
  if (at.increment !== undefined) path += `.increments[${at.increment}]`;
  if (at.period !== undefined) path += `periods[${at.period}]`;
  if (at.holiday !== undefined) path += `holidays[${at.holiday}]`;
  if (at.field !== undefined) path += (path ? '.' : '') + at.field;
  return path || '(plan)';
}

/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 100;

export function planInvalid(source: string, problems: PlanProblem[]): CalltrailError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS) shown.push({ path: '…', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
  const first = problems[0];
  const summary = problems.length === 1 && first ? `: ${first.path}: ${first.message}` : ` (${problems.length} problems)`;
  return new CalltrailError('CONFIG_INVALID', `rate plan ${source} is invalid${summary}`, shown);
}

/** Parses and validates a plan document (from YAML or JSON); throws CONFIG_INVALID listing every problem. */
export function parsePlan(input: unknown, source = 'plan'): RatePlan {
  const parsed = ratePlanSchema.safeParse(input);
  if (!parsed.success) {
    throw planInvalid(
      source,
      parsed.error.issues.map((i) => ({ path: i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : (n ? '.' : '') + String(p))).join('') || '(plan)', message: i.message })),
    );
  }
  const problems = validatePlan(parsed.data);
  if (problems.length > 0) throw planInvalid(source, problems);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Decimals

function numberText(n: number): string {
  // String(n) is the shortest text that reads back as n (0.1 → "0.1"); exponents are refused later.
  return Number.isFinite(n) ? String(n) : 'NaN';
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A decimal text as integer nano-units, or a reason it is not one. */
export function parseNano(text: string): number | string {
  // Fast path for the usual plain "0.0123": digits, one dot, at most 9 decimals,
  // at most 6 whole digits (so always below 2⁵³ nano-units).
  const n = text.length;
  let units = 0;
  let i = 0;
  while (i < n) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    units = units * 10 + d;
    i++;
  }
  if (i > 0 && i <= 6) {
    if (i === n) return units * NANO;
    if (text.charCodeAt(i) === 46 && n - i - 1 >= 1 && n - i - 1 <= MAX_DECIMALS) {
      let fraction = 0;
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j) - 48;
        if (d < 0 || d > 9) break;
        fraction = fraction * 10 + d;
      }
      if (j === n) return units * NANO + fraction * 10 ** (MAX_DECIMALS - (n - i - 1));
    }
  }
  const m = DECIMAL.exec(text);
  if (!m) return `"${text}" is not a decimal number`;
  const [, sign, whole, fraction = ''] = m;
  if (fraction.length > MAX_DECIMALS) return `"${text}" has more than ${MAX_DECIMALS} decimals`;
  const nano = Number(whole) * NANO + Number(fraction.padEnd(MAX_DECIMALS, '0'));
  if (!Number.isSafeInteger(nano)) return `"${text}" is too large`;
  return sign === '-' && nano !== 0 ? -nano : nano;
}

const ZEROS = Array.from({ length: MAX_DECIMALS + 1 }, (_, n) => '0'.repeat(n));

/** Integer nano-units as decimal text with at least `decimals` places (trailing zeros beyond them dropped). */
export function nanoText(nano: number | bigint, decimals = 0): string {
  if (typeof nano === 'number' && Number.isSafeInteger(nano) && nano >= 0) {
    const whole = Math.floor(nano / NANO);
    const rest = nano - whole * NANO;
    if (rest === 0) return decimals === 0 ? String(whole) : String(whole) + '.' + ZEROS[decimals];
    const fraction = String(rest).padStart(MAX_DECIMALS, '0');
    let end = MAX_DECIMALS;
    while (end > decimals && fraction.charCodeAt(end - 1) === 48) end--;
    return String(whole) + '.' + fraction.slice(0, end);
  }
  const big = BigInt(nano);
  const negative = big < 0n;
  const abs = negative ? -big : big;
  const whole = abs / 1_000_000_000n;
  let fraction = (abs % 1_000_000_000n).toString().padStart(MAX_DECIMALS, '0');
  let end = fraction.length;
  while (end > decimals && fraction[end - 1] === '0') end--;
  fraction = fraction.slice(0, end);
  return (negative ? '-' : '') + whole.toString() + (fraction ? '.' + fraction : '');
}

// ---------------------------------------------------------------------------------------------
// Periods: "mon-fri 08:00-18:00", "sat,sun", "mon-sun", "holidays 00:00-12:00"

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

export interface Window {
  /** Weekdays 0 (Monday) … 6 (Sunday); empty for a holiday window. */
  days: number[];
  holidays: boolean;
  /** Minutes of the day, [from, to). */
  from: number;
  to: number;
}

function parseClock(text: string, allow24: boolean): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && (min !== 0 || !allow24))) return null;
  return h * 60 + min;
}

/** Parses one window of a period, or returns why it cannot. */
export function parseWindow(text: string): Window | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 1 || parts.length > 2 || parts[0] === '') return `"${text}" is not a window such as "mon-fri 08:00-18:00", "sat,sun" or "holidays"`;
  const [dayText, timeText] = parts as [string, string | undefined];
  let days: number[] = [];
  let holidays = false;
  if (dayText.toLowerCase() === 'holidays') {
    holidays = true;
  } else {
    for (const piece of dayText.toLowerCase().split(',')) {
      const range = piece.split('-');
      const a = WEEKDAYS.indexOf(range[0] as (typeof WEEKDAYS)[number]);
      const b = range.length === 2 ? WEEKDAYS.indexOf(range[1] as (typeof WEEKDAYS)[number]) : a;
      if (range.length > 2 || a < 0 || b < 0) return `"${piece}" in "${text}" is not a day or day range (mon … sun, e.g. mon-fri)`;
      if (b < a) return `day range "${piece}" in "${text}" runs backwards (write e.g. "sat,sun" or "fri-sun")`;
      for (let d = a; d <= b; d++) if (!days.includes(d)) days.push(d);
    }
    days = days.sort((x, y) => x - y);
  }
  let from = 0;
  let to = MINUTES_PER_DAY;
  if (timeText !== undefined) {
    const m = /^(\S+)-(\S+)$/.exec(timeText);
    const f = m ? parseClock(m[1]!, false) : null;
    const t = m ? parseClock(m[2]!, true) : null;
    if (f === null || t === null) return `"${timeText}" in "${text}" is not a time range such as 08:00-18:00`;
    if (t <= f) return `time range "${timeText}" in "${text}" is empty or crosses midnight (split it in two windows: ..-24:00 and 00:00-..)`;
    from = f;
    to = t;
  }
  return { days, holidays, from, to };
}

function clock(minute: number): string {
  return String(Math.floor(minute / 60)).padStart(2, '0') + ':' + String(minute % 60).padStart(2, '0');
}

/** Week minutes as readable ranges, e.g. "mon 18:00–24:00, sat 00:00–24:00". */
function describeMinutes(minutes: number[], perDay: boolean): string {
  const out: string[] = [];
  let i = 0;
  while (i < minutes.length) {
    let j = i;
    while (j + 1 < minutes.length && minutes[j + 1] === minutes[j]! + 1 && (minutes[j + 1]! % MINUTES_PER_DAY) !== 0) j++;
    const start = minutes[i]!;
    const end = minutes[j]! + 1;
    const day = Math.floor(start / MINUTES_PER_DAY);
    const label = perDay ? 'holidays' : WEEKDAYS[day]!;
    out.push(`${label} ${clock(start - day * MINUTES_PER_DAY)}–${clock(end - day * MINUTES_PER_DAY)}`);
    i = j + 1;
  }
  return out.join(', ');
}

/**
 * Which of a set of periods is in force at each minute of the week, and (separately) on holidays.
 * week[m] is a slot (index into `periods`) or -1 where no period covers the minute;
 * holiday[m] is the slot of a holiday window covering the minute of a holiday date, else week[m].
 */
export interface PeriodTable {
  periods: string[];
  week: Int8Array;
  holiday: Int8Array;
  /** For each minute: the minute of the same day (1 … 1440) at which the slot next changes. */
  weekNext: Int16Array;
  holidayNext: Int16Array;
  gaps: string | null;
  overlaps: string[];
}

export function periodTable(periodNames: string[], windowsByName: Map<string, Window[]>): PeriodTable {
  const week = new Int8Array(MINUTES_PER_WEEK).fill(-1);
  const holidayOnly = new Int8Array(MINUTES_PER_DAY).fill(-1);
  const overlapWeek = new Map<string, number[]>();
  const overlapHoliday = new Map<string, number[]>();
  periodNames.forEach((name, slot) => {
    for (const w of windowsByName.get(name) ?? []) {
      for (let m = w.from; m < w.to; m++) {
        if (w.holidays) {
          const had = holidayOnly[m]!;
          if (had >= 0 && had !== slot) pushTo(overlapHoliday, `${periodNames[had]} and ${name}`, m);
          holidayOnly[m] = slot;
        } else {
          for (const d of w.days) {
            const at = d * MINUTES_PER_DAY + m;
            const had = week[at]!;
            if (had >= 0 && had !== slot) pushTo(overlapWeek, `${periodNames[had]} and ${name}`, at);
            week[at] = slot;
          }
        }
      }
    }
  });
  const missing: number[] = [];
  for (let m = 0; m < MINUTES_PER_WEEK; m++) if (week[m]! < 0) missing.push(m);
  const holiday = new Int8Array(MINUTES_PER_WEEK);
  for (let m = 0; m < MINUTES_PER_WEEK; m++) {
    const h = holidayOnly[m % MINUTES_PER_DAY]!;
    holiday[m] = h >= 0 ? h : week[m]!;
  }
  const overlaps = [
    ...[...overlapWeek].map(([pair, ms]) => `periods ${pair} overlap on ${describeMinutes(ms.sort((a, b) => a - b), false)}`),
    ...[...overlapHoliday].map(([pair, ms]) => `periods ${pair} overlap on ${describeMinutes(ms.sort((a, b) => a - b), true)}`),
  ];
  return {
    periods: periodNames,
    week,
    holiday,
    weekNext: nextChanges(week),
    holidayNext: nextChanges(holiday),
    gaps: missing.length > 0 ? describeMinutes(missing, false) : null,
    overlaps,
  };
}

function pushTo(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function nextChanges(table: Int8Array): Int16Array {
  const next = new Int16Array(MINUTES_PER_WEEK);
  for (let day = 0; day < 7; day++) {
    const base = day * MINUTES_PER_DAY;
    let change = MINUTES_PER_DAY;
    for (let m = MINUTES_PER_DAY - 1; m >= 0; m--) {
      if (m < MINUTES_PER_DAY - 1 && table[base + m] !== table[base + m + 1]) change = m + 1;
      next[base + m] = change;
    }
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Dates

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Days since 1970-01-01 of a YYYY-MM-DD date, or null when it is not a real date. */
export function dayNumber(date: string): number | null {
  if (!DATE.test(date)) return null;
  const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  if (new Date(ms).toISOString().slice(0, 10) !== date) return null;
  return ms / 86_400_000;
}

/** An effective-from value as an instant: a date is local midnight in the plan's zone. */
export function effectiveInstant(value: string, timeZone: string): number | null {
  if (DATE.test(value)) {
    if (dayNumber(value) === null) return null;
    return fromLocal({ year: Number(value.slice(0, 4)), month: Number(value.slice(5, 7)), day: Number(value.slice(8, 10)), hour: 0, minute: 0, second: 0 }, timeZone).epochMs;
  }
  if (!ISO_WITH_OFFSET.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A call time: ISO-8601 with an offset (or Z), or epoch milliseconds. */
export function instantOf(at: string | number): number | null {
  if (typeof at === 'number') return Number.isFinite(at) ? at : null;
  if (typeof at !== 'string') return null;
  // The rater sees one of these per call: the usual `2026-03-02T09:00:00+01:00` / `…Z` is read by hand.
  const n = at.length;
  if ((n === 25 || n === 20) && at.charCodeAt(4) === 45 && at.charCodeAt(7) === 45 && at.charCodeAt(10) === 84 && at.charCodeAt(13) === 58 && at.charCodeAt(16) === 58) {
    const year = digitsAt(at, 0, 4);
    const month = digitsAt(at, 5, 2);
    const day = digitsAt(at, 8, 2);
    const hour = digitsAt(at, 11, 2);
    const minute = digitsAt(at, 14, 2);
    const second = digitsAt(at, 17, 2);
    let offset = -1;
    if (n === 20 && at.charCodeAt(19) === 90) offset = 0;
    else if (n === 25 && at.charCodeAt(22) === 58) {
      const sign = at.charCodeAt(19) === 43 ? 1 : at.charCodeAt(19) === 45 ? -1 : 0;
      const oh = digitsAt(at, 20, 2);
      const om = digitsAt(at, 23, 2);
      if (sign !== 0 && oh >= 0 && oh <= 18 && om >= 0 && om <= 59) offset = sign * (oh * 60 + om);
    }
    if (offset === -1 || year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
    if (day > DAYS_IN_MONTH[month - 1]! || (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)))) return null;
    return Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
  }
  if (!ISO_WITH_OFFSET.test(at) || dayNumber(at.slice(0, 10)) === null) return null;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? null : ms;
}

// ---------------------------------------------------------------------------------------------
// Validation

let currencies: Set<string> | null = null;
export function isCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

const NAME = /^[a-z][a-z0-9_-]*$/;
const PREFIX = /^[1-9]\d{0,14}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Checks what the schema cannot: values, periods, coverage, duplicates. Returns every problem. */
export function validatePlan(plan: RatePlan, locate: Locate = pathLocator): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const add = (at: PlanLocation, message: string): void => {
    problems.push({ path: locate(at), message });
  };
  const text = (at: PlanLocation, value: string | null, what: string): void => {
    if (value !== null && CONTROL.test(value)) add(at, `${what} contains a control character`);
  };

  text({ field: 'id' }, plan.id, 'id');
  text({ field: 'name' }, plan.name, 'name');
  if (!isCurrency(plan.currency)) add({ field: 'currency' }, `"${plan.currency}" is not an ISO 4217 currency code (e.g. EUR, USD, GBP)`);
  if (!isValidTimeZone(plan.timeZone)) add({ field: 'timeZone' }, `"${plan.timeZone}" is not an IANA time zone (e.g. Europe/London)`);
  if (plan.kind === 'sell' && (plan.carrier !== null || plan.trunks.length > 0)) add({ field: 'carrier' }, 'a sell plan is for a tenant: it has no carrier or trunks');
  if (plan.kind === 'buy' && plan.tenant !== null) add({ field: 'tenant' }, 'a buy plan is for a carrier or trunks: it has no tenant');
  if (plan.kind === 'buy' && plan.carrier === null) add({ field: 'carrier' }, 'a buy plan needs its carrier');
  for (const [field, value] of [['tenant', plan.tenant], ['carrier', plan.carrier]] as const) text({ field }, value, field);
  plan.trunks.forEach((t, i) => {
    if (t.trim() === '' || /[;\s]/.test(t)) add({ field: `trunks[${i}]` }, `trunk "${t}" is empty or has spaces or ';'`);
  });

  const holidayDates = new Map<string, number>();
  plan.holidays.forEach((h, i) => {
    if (dayNumber(h.date) === null) add({ holiday: i, field: 'date' }, `"${h.date}" is not a date (YYYY-MM-DD)`);
    else if (holidayDates.has(h.date)) add({ holiday: i, field: 'date' }, `holiday ${h.date} is listed twice`);
    holidayDates.set(h.date, i);
    text({ holiday: i, field: 'name' }, h.name, 'holiday name');
  });

  const windows = new Map<string, Window[]>();
  plan.periods.forEach((p, i) => {
    if (!NAME.test(p.name)) add({ period: i, field: 'name' }, `period name "${p.name}" must be lower-case letters, digits, - or _`);
    if (windows.has(p.name)) add({ period: i, field: 'name' }, `period "${p.name}" is defined twice`);
    const list: Window[] = [];
    p.when.forEach((w, j) => {
      if (w.includes(';')) add({ period: i, field: `when[${j}]` }, `"${w}": give one window per entry`);
      const parsed = parseWindow(w);
      if (typeof parsed === 'string') add({ period: i, field: `when[${j}]` }, parsed);
      else list.push(parsed);
    });
    windows.set(p.name, list);
  });

  const tables = new Map<string, PeriodTable>();
  const seen = new Map<string, number>();
  plan.rates.forEach((rate, r) => {
    if (!PREFIX.test(rate.prefix)) add({ rate: r, field: 'prefix' }, `prefix "${rate.prefix}" must be 1–15 digits of an E.164 number (no leading 0 or +)`);
    text({ rate: r, field: 'destination' }, rate.destination, 'destination');
    if (rate.effectiveFrom !== null && effectiveInstant(rate.effectiveFrom, isValidTimeZone(plan.timeZone) ? plan.timeZone : 'UTC') === null) {
      add({ rate: r, field: 'effectiveFrom' }, `"${rate.effectiveFrom}" is not a date (YYYY-MM-DD) or an ISO-8601 time with offset`);
    }
    const key = rate.prefix + '@' + (rate.effectiveFrom ?? '');
    const other = seen.get(key);
    if (other !== undefined) {
      add({ rate: r, field: 'prefix' }, `prefix ${rate.prefix} ${rate.effectiveFrom ? `effective from ${rate.effectiveFrom}` : 'without an effective-from date'} is already defined at ${locate({ rate: other })}`);
    } else seen.set(key, r);

    const names: string[] = [];
    rate.tariffs.forEach((tariff, t) => {
      if (!windows.has(tariff.period)) add({ rate: r, tariff: t, field: 'period' }, `period "${tariff.period}" is not defined (defined: ${[...windows.keys()].join(', ') || 'none'})`);
      else if (names.includes(tariff.period)) add({ rate: r, tariff: t, field: 'period' }, `period "${tariff.period}" has two tariffs for prefix ${rate.prefix}`);
      else names.push(tariff.period);
      validateTariff(tariff, { rate: r, tariff: t }, add);
    });
    if (names.length === rate.tariffs.length) {
      const tableKey = names.join('\u0000');
      let table = tables.get(tableKey);
      if (!table) {
        table = periodTable(names, windows);
        tables.set(tableKey, table);
      }
      if (table.gaps) add({ rate: r, field: 'tariffs' }, `prefix ${rate.prefix} has no rate for ${table.gaps} (periods ${names.join(', ')} leave a gap)`);
      for (const overlap of table.overlaps) add({ rate: r, field: 'tariffs' }, `prefix ${rate.prefix}: ${overlap}`);
    }
  });
  return problems;
}

function validateTariff(tariff: Tariff, at: PlanLocation, add: (at: PlanLocation, message: string) => void): void {
  const money = (field: string, value: string, limit: number): number | null => {
    const nano = parseNano(value);
    if (typeof nano === 'string') {
      add({ ...at, field }, `${field} ${nano}`);
      return null;
    }
    if (nano < 0) {
      add({ ...at, field }, `${field} "${value}" is negative`);
      return null;
    }
    if (nano > limit * NANO) {
      add({ ...at, field }, `${field} "${value}" is absurd (more than ${limit})`);
      return null;
    }
    return nano;
  };
  money('connectFee', tariff.connectFee, LIMITS.connectFee);
  const minimum = money('minimumCharge', tariff.minimumCharge, LIMITS.minimumCharge);
  if (tariff.maxCost !== null) {
    const max = money('maxCost', tariff.maxCost, LIMITS.maxCost);
    if (max !== null && max === 0) add({ ...at, field: 'maxCost' }, 'maxCost 0 would make every call free (leave it empty for no cap)');
    else if (max !== null && minimum !== null && max < minimum) add({ ...at, field: 'maxCost' }, `maxCost ${tariff.maxCost} is below minimumCharge ${tariff.minimumCharge}`);
  }
  let previous = -1;
  tariff.increments.forEach((inc, i) => {
    const where = { ...at, increment: i };
    if (i === 0 && inc.fromSecond !== 0) add({ ...where, field: 'fromSecond' }, `the first interval starts at ${inc.fromSecond} s; it must start at 0`);
    if (i > 0 && inc.fromSecond <= previous) add({ ...where, field: 'fromSecond' }, `interval starts at ${inc.fromSecond} s, not after the previous one (${previous} s)`);
    if (inc.fromSecond > LIMITS.fromSecond) add({ ...where, field: 'fromSecond' }, `fromSecond ${inc.fromSecond} is absurd (more than ${LIMITS.fromSecond})`);
    previous = inc.fromSecond;
    if (inc.unitSeconds > LIMITS.seconds) add({ ...where, field: 'unitSeconds' }, `unitSeconds ${inc.unitSeconds} is absurd (more than ${LIMITS.seconds})`);
    if (inc.incrementSeconds > LIMITS.seconds) add({ ...where, field: 'incrementSeconds' }, `incrementSeconds ${inc.incrementSeconds} is absurd (more than ${LIMITS.seconds})`);
    const rate = parseNano(inc.rate);
    if (typeof rate === 'string') add({ ...where, field: 'rate' }, `rate ${rate}`);
    else if (rate < 0) add({ ...where, field: 'rate' }, `rate "${inc.rate}" is negative`);
    else if (rate * 60 > LIMITS.ratePerMinute * NANO * inc.unitSeconds) {
      add({ ...where, field: 'rate' }, `rate "${inc.rate}" per ${inc.unitSeconds} s is absurd (more than ${LIMITS.ratePerMinute} per minute)`);
    }
  });
}
