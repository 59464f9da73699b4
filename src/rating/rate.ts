// The rater: a plan compiled into a digit trie and per-minute period tables, and rateCall.
//
// Arithmetic is exact. Plan values are integer nano-units (10⁻⁹); a call's subtotal is held as an
// integer N in units of 1/(L·10⁹), where L is the least common multiple of the unitSeconds of the
// prefix's tariffs, so "0.10 per 60 s, billed per second" adds 100000000 × seconds × (L/60) with no
// division and no float drift. N stays a plain number while it is a safe integer (every realistic
// call); beyond 2⁵³ the call is rated again with bigint. Rounding to the tariff's decimals is an
// integer operation on N.
//
// Layout: 100,000 prefixes must rate at hundreds of thousands of calls per second, where the cost is
// cache misses, not arithmetic. So the compiled plan is a digit trie in two Int32Arrays and flat
// Float64Array records (one cache line per version, tariff and interval) instead of nested objects.
//
// Period rule (as CGRateS): each billing increment is charged at the tariff of the period in force
// when the increment starts, so a call crossing peak → off-peak pays peak for the increments begun
// before the boundary. Connect fee, minimum, maximum and rounding come from the tariff in force when
// the call starts.
//
// Zero billable seconds cost nothing: an unanswered call is not charged, so neither the connect fee
// nor the minimum charge applies (carriers bill connect fees on answered calls; a 0-second answered
// call is indistinguishable from an unanswered one in most CDRs).

import { offsetAt } from '../core/time.js';
import {
  MAX_DECIMALS,
  NANO,
  dayNumber,
  effectiveInstant,
  instantOf,
  nanoText,
  parseNano,
  parseWindow,
  periodTable,
  type PeriodTable,
  type RatePlan,
  ROUNDING_METHODS,
  type RoundingMethod,
  type Window,
} from './plan.js';

export interface RateInput {
  /** The called number: E.164 digits without '+'. */
  number: string;
  /** Billable seconds (talk time). */
  seconds: number;
  /** When the call started: ISO-8601 with an offset, or epoch milliseconds. */
  at: string | number;
}

export interface RatedCall {
  rated: true;
  planId: string;
  /** The cost as exact decimal text with the tariff's decimals, e.g. "0.16". */
  cost: string;
  /** The same as a number, for sums and JSON consumers. */
  amount: number;
  currency: string;
  prefix: string;
  destination: string | null;
  /** The period in force when the call started. */
  period: string;
  effectiveFrom: string | null;
  /** Seconds charged after rounding up to increments. */
  billedSeconds: number;
  /** How the cost was computed, one line per step (with `explain`). */
  steps?: string[];
}

export interface UnratedCall {
  rated: false;
  planId: string;
  reason: string;
}

export type RateResult = RatedCall | UnratedCall;

type Tariff = RatePlan['rates'][number]['tariffs'][number];

/** What a rated call reports of its rate version: one object, so one cache miss, per call. */
interface VersionLabel {
  prefix: string;
  destination: string | null;
  effectiveFrom: string | null;
}

// Record layouts in the Float64Arrays (field offsets):
/** Version: [fromMs, table index, first tariff (by slot), lcm of its unitSeconds, end of its prefix's versions]. */
const V = 5;
/** Tariff: [connect, minimum, maximum (-1: none), rounding, decimals, quantum 10^(9−decimals), first interval, end of intervals]. */
const T = 8;
/** Interval: [fromSecond, next interval's fromSecond or Infinity, rate, unitSeconds, incrementSeconds, lcm / unitSeconds]. */
const I = 6;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const HOUR_SLOTS = 4096;
/** A longer call is a broken record (and beyond it bigint sums would not be exact). */
const MAX_CALL_SECONDS = 366 * 86_400;

/** A plan ready to rate: build once, rate many calls. */
export class CompiledPlan {
  readonly plan: RatePlan;
  /** Number of distinct prefixes. */
  readonly size: number;
  /** Trie: node n's child for digit d is children[n·10 + d] (0: none); entryAt[n] is the first (newest) version of the prefix ending there, or -1. */
  private children: Int32Array;
  private entryAt: Int32Array;
  private nodes = 1;
  readonly versions: Float64Array;
  readonly versionLabel: VersionLabel[] = [];
  readonly tariffs: Float64Array;
  readonly tariffPeriod: string[] = [];
  readonly tariffSource: Tariff[] = [];
  readonly intervals: Float64Array;
  readonly intervalRate: string[] = [];
  readonly tables: PeriodTable[] = [];
  private readonly holidays: Set<number>;
  private readonly timeZone: string;
  private readonly utc: boolean;
  private readonly hourKey = new Float64Array(HOUR_SLOTS).fill(NaN);
  private readonly hourOffset = new Int32Array(HOUR_SLOTS);

  constructor(plan: RatePlan) {
    this.plan = plan;
    this.timeZone = plan.timeZone;
    this.utc = plan.timeZone === 'UTC' || plan.timeZone === 'Etc/UTC';
    this.holidays = new Set(plan.holidays.map((h) => dayNumber(h.date)).filter((d): d is number => d !== null));
    const windows = new Map<string, Window[]>();
    for (const p of plan.periods) windows.set(p.name, p.when.map(parseWindow).filter((w): w is Window => typeof w !== 'string'));
    const tableIndex = new Map<string, number>();

    const byPrefix = new Map<string, { rate: RatePlan['rates'][number]; fromMs: number }[]>();
    let tariffCount = 0;
    let intervalCount = 0;
    for (const rate of plan.rates) {
      const fromMs = rate.effectiveFrom === null ? -Infinity : (effectiveInstant(rate.effectiveFrom, plan.timeZone) ?? -Infinity);
      const list = byPrefix.get(rate.prefix);
      if (list) list.push({ rate, fromMs });
      else byPrefix.set(rate.prefix, [{ rate, fromMs }]);
      tariffCount += rate.tariffs.length;
      for (const t of rate.tariffs) intervalCount += t.increments.length;
    }
    this.size = byPrefix.size;
    const capacity = Math.max(16, this.size * 4);
    this.children = new Int32Array(capacity * 10);
    this.entryAt = new Int32Array(capacity).fill(-1);
    this.versions = new Float64Array(plan.rates.length * V);
    this.tariffs = new Float64Array(tariffCount * T);
    this.intervals = new Float64Array(intervalCount * I);

    let v = 0;
    let t = 0;
    let i = 0;
    for (const [prefix, list] of byPrefix) {
      this.insert(prefix, v);
      list.sort((a, b) => b.fromMs - a.fromMs);
      const end = v + list.length;
      for (const { rate, fromMs } of list) {
        const names = rate.tariffs.map((x) => x.period);
        const key = names.join('\u0000');
        let table = tableIndex.get(key);
        if (table === undefined) {
          table = this.tables.length;
          this.tables.push(periodTable(names, windows));
          tableIndex.set(key, table);
        }
        let lcm = 1;
        for (const x of rate.tariffs) for (const inc of x.increments) lcm = lcmOf(lcm, inc.unitSeconds);
        const vb = v * V;
        this.versions[vb] = fromMs;
        this.versions[vb + 1] = table;
        this.versions[vb + 2] = t;
        this.versions[vb + 3] = lcm;
        this.versions[vb + 4] = end;
        this.versionLabel.push({ prefix, destination: list[0]!.rate.destination, effectiveFrom: rate.effectiveFrom });
        for (const tariff of rate.tariffs) {
          const first = i;
          const incs = tariff.increments;
          for (let k = 0; k < incs.length; k++) {
            const inc = incs[k]!;
            const ib = i * I;
            this.intervals[ib] = inc.fromSecond;
            this.intervals[ib + 1] = incs[k + 1]?.fromSecond ?? Infinity;
            this.intervals[ib + 2] = nanoOf(inc.rate);
            this.intervals[ib + 3] = inc.unitSeconds;
            this.intervals[ib + 4] = inc.incrementSeconds;
            this.intervals[ib + 5] = lcm / inc.unitSeconds;
            this.intervalRate.push(inc.rate);
            i++;
          }
          const tb = t * T;
          this.tariffs[tb] = nanoOf(tariff.connectFee);
          this.tariffs[tb + 1] = nanoOf(tariff.minimumCharge);
          this.tariffs[tb + 2] = tariff.maxCost === null ? -1 : nanoOf(tariff.maxCost);
          this.tariffs[tb + 3] = ROUNDING_METHODS.indexOf(tariff.rounding);
          this.tariffs[tb + 4] = tariff.decimals;
          this.tariffs[tb + 5] = 10 ** (MAX_DECIMALS - tariff.decimals);
          this.tariffs[tb + 6] = first;
          this.tariffs[tb + 7] = i;
          this.tariffPeriod.push(tariff.period);
          this.tariffSource.push(tariff);
          t++;
        }
        v++;
      }
    }
    this.renumberBreadthFirst();
  }

  /** Lays the trie out level by level, so the upper levels a lookup always walks share cache lines. */
  private renumberBreadthFirst(): void {
    const order = new Int32Array(this.nodes);
    const newId = new Int32Array(this.nodes);
    let head = 0;
    let tail = 1; // order[0] = root (node 0)
    while (head < tail) {
      const node = order[head++]!;
      for (let d = 0; d < 10; d++) {
        const child = this.children[node * 10 + d]!;
        if (child !== 0) {
          newId[child] = tail;
          order[tail++] = child;
        }
      }
    }
    const children = new Int32Array(this.nodes * 10);
    const entryAt = new Int32Array(this.nodes);
    for (let n = 0; n < this.nodes; n++) {
      const old = order[n]!;
      entryAt[n] = this.entryAt[old]!;
      for (let d = 0; d < 10; d++) {
        const child = this.children[old * 10 + d]!;
        children[n * 10 + d] = child === 0 ? 0 : newId[child]!;
      }
    }
    this.children = children;
    this.entryAt = entryAt;
  }

  private insert(prefix: string, index: number): void {
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      const at = node * 10 + (prefix.charCodeAt(i) - 48);
      let child = this.children[at]!;
      if (child === 0) {
        child = this.nodes++;
        if (child >= this.entryAt.length) this.grow();
        this.children[at] = child;
      }
      node = child;
    }
    this.entryAt[node] = index;
  }

  private grow(): void {
    const children = new Int32Array(this.children.length * 2);
    children.set(this.children);
    const entryAt = new Int32Array(this.entryAt.length * 2).fill(-1);
    entryAt.set(this.entryAt);
    this.children = children;
    this.entryAt = entryAt;
  }

  /** The first (newest) version of the longest prefix of `digits`, -1 if none; -2 if `digits` is not all digits. */
  lookup(digits: string): number {
    const children = this.children;
    const entryAt = this.entryAt;
    let node = 0;
    let found = -1;
    const n = digits.length;
    for (let i = 0; i < n; i++) {
      const d = digits.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -2;
      node = children[node * 10 + d]!;
      if (node === 0) {
        // The rest must still be digits for the number to be valid.
        for (let j = i + 1; j < n; j++) {
          const x = digits.charCodeAt(j) - 48;
          if (x < 0 || x > 9) return -2;
        }
        return found;
      }
      const e = entryAt[node]!;
      if (e >= 0) found = e;
    }
    return found;
  }

  /** The longest matching prefix and its destination, for reports. */
  match(digits: string): { prefix: string; name: string | null } | null {
    const v = this.lookup(digits);
    const label = v >= 0 ? this.versionLabel[v] : undefined;
    return label ? { prefix: label.prefix, name: label.destination } : null;
  }

  /**
   * The zone's UTC offset in minutes. Remembered per UTC hour in a small direct-mapped table (4096
   * hours, about 170 days); an hour in which the offset changes is not remembered but asked each time.
   */
  offset(epochMs: number): number {
    if (this.utc) return 0;
    const hour = Math.floor(epochMs / HOUR_MS);
    const slot = hour & (HOUR_SLOTS - 1);
    if (this.hourKey[slot] === hour) return this.hourOffset[slot]!;
    const start = offsetAt(this.timeZone, hour * HOUR_MS);
    if (start !== offsetAt(this.timeZone, hour * HOUR_MS + HOUR_MS - 1)) return offsetAt(this.timeZone, epochMs);
    this.hourKey[slot] = hour;
    this.hourOffset[slot] = start;
    return start;
  }

  isHoliday(day: number): boolean {
    return this.holidays.size > 0 && this.holidays.has(day);
  }
}

function nanoOf(text: string): number {
  const n = parseNano(text);
  return typeof n === 'number' ? n : 0;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
function lcmOf(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

const compiled = new WeakMap<RatePlan, CompiledPlan>();

/** The compiled form of a plan, built once per plan object. */
export function compilePlan(plan: RatePlan | CompiledPlan): CompiledPlan {
  if (plan instanceof CompiledPlan) return plan;
  let c = compiled.get(plan);
  if (!c) {
    c = new CompiledPlan(plan);
    compiled.set(plan, c);
  }
  return c;
}

/** Set by segmentAt: the period slot in force at an instant, and when it ends (ms since the epoch). */
let segmentSlot = 0;
let segmentEndMs = 0;

function segmentAt(c: CompiledPlan, table: PeriodTable, epochMs: number): void {
  const offsetMs = c.offset(epochMs) * 60_000;
  const local = epochMs + offsetMs;
  const day = Math.floor(local / DAY_MS);
  const minute = Math.floor((local - day * DAY_MS) / 60_000);
  const weekday = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (Monday = 0)
  const at = weekday * 1440 + minute;
  const holiday = c.isHoliday(day);
  segmentSlot = (holiday ? table.holiday : table.week)[at]!;
  segmentEndMs = day * DAY_MS + (holiday ? table.holidayNext : table.weekNext)[at]! * 60_000 - offsetMs;
  // A clock change inside the segment moves its local end: stop at the end of this UTC hour (clocks
  // change on the hour) and look again from there with the new offset.
  if (c.offset(segmentEndMs - 1) * 60_000 !== offsetMs) segmentEndMs = Math.min(segmentEndMs, (Math.floor(epochMs / HOUR_MS) + 1) * HOUR_MS);
}

function unrated(plan: RatePlan, reason: string): UnratedCall {
  return { rated: false, planId: plan.id, reason };
}

/** Rates one call. Never throws on bad call data: it answers unrated with the reason. */
export function rateCall(planOrCompiled: RatePlan | CompiledPlan, input: RateInput, options?: { explain?: boolean }): RateResult {
  const c = compilePlan(planOrCompiled);
  const plan = c.plan;
  const { number, seconds } = input;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) return unrated(plan, `seconds ${String(seconds)} is not a whole number ≥ 0`);
  if (seconds > MAX_CALL_SECONDS) return unrated(plan, `seconds ${seconds} is more than a year: not a call to rate`);
  const startMs = instantOf(input.at);
  if (startMs === null) return unrated(plan, `"${String(input.at)}" is not an ISO-8601 time with offset or epoch milliseconds`);
  if (typeof number !== 'string' || number === '') return unrated(plan, 'no number');
  const newest = c.lookup(number);
  if (newest === -2) return unrated(plan, `number "${number}" is not all digits (E.164 without +)`);
  if (newest === -1) return unrated(plan, `no rate for ${number} in plan ${plan.id}`);
  const versions = c.versions;
  const last = versions[newest * V + 4]!;
  let v = newest;
  while (v < last && versions[v * V]! > startMs) v++;
  if (v === last) {
    return unrated(plan, `prefix ${c.versionLabel[newest]!.prefix} has no rate effective at ${String(input.at)} (first from ${c.versionLabel[last - 1]!.effectiveFrom})`);
  }
  const label = c.versionLabel[v]!;
  const table = c.tables[versions[v * V + 1]!]!;
  const tariffBase = versions[v * V + 2]!;
  const lcm = versions[v * V + 3]!;
  segmentAt(c, table, startMs);
  const segmentSlot0 = segmentSlot;
  const first = tariffBase + segmentSlot0;
  const decimals = c.tariffs[first * T + 4]!;
  const steps: string[] | null = options?.explain ? [] : null;
  if (steps) {
    steps.push(`prefix ${label.prefix}${label.destination ? ` (${label.destination})` : ''} matched ${number}${label.effectiveFrom ? `; rates effective from ${label.effectiveFrom}` : ''}`);
    steps.push(`period ${c.tariffPeriod[first]} at the start of the call (${plan.timeZone})`);
  }
  let nano = 0;
  let text: string;
  let billedSeconds = 0;
  if (seconds === 0) {
    if (steps) steps.push('0 s billed: no charge (unanswered and zero-second calls cost nothing; no connect fee, no minimum)');
    text = nanoText(0, decimals);
  } else {
    const total = charge(c, table, tariffBase, first, lcm, startMs, seconds, steps);
    billedSeconds = chargedSeconds;
    if (Number.isSafeInteger(total)) {
      nano = finishNumber(c, total, lcm, first, steps);
      text = nanoText(nano, decimals);
    } else {
      text = nanoText(finishBig(c, chargeBig(c, table, tariffBase, first, lcm, startMs, seconds), BigInt(lcm), first, steps), decimals);
      nano = Number(text) * NANO;
    }
    if (steps) steps.push(`total ${text} ${plan.currency}`);
  }
  const result: RatedCall = {
    rated: true,
    planId: plan.id,
    cost: text,
    amount: nano / NANO,
    currency: plan.currency,
    prefix: label.prefix,
    destination: label.destination,
    period: table.periods[segmentSlot0]!,
    effectiveFrom: label.effectiveFrom,
    billedSeconds,
  };
  if (steps) result.steps = steps;
  return result;
}

/** Seconds billed by the last charge(): whole increments, so at least the call's seconds. */
let chargedSeconds = 0;

/**
 * Sums connect fee and increments as N in units of 1/(lcm·10⁹). Exact while the result is a safe
 * integer: every term is a non-negative integer, so a safe total means every partial sum was safe.
 */
function charge(c: CompiledPlan, table: PeriodTable, tariffBase: number, first: number, lcm: number, startMs: number, seconds: number, steps: string[] | null): number {
  const tariffs = c.tariffs;
  const intervals = c.intervals;
  let total = tariffs[first * T]! * lcm;
  if (steps && total > 0) steps.push(`connect fee ${c.tariffSource[first]!.connectFee}`);
  let t = 0;
  // The period at the start was found by rateCall; segEnd: seconds from the start at which it ends.
  let slot = segmentSlot;
  let segEnd = Math.ceil((segmentEndMs - startMs) / 1000);
  while (t < seconds) {
    if (t >= segEnd) {
      const at = startMs + t * 1000;
      segmentAt(c, table, at);
      slot = segmentSlot;
      segEnd = t + Math.ceil((segmentEndMs - at) / 1000);
    }
    const tariff = (tariffBase + slot) * T;
    const end = tariffs[tariff + 7]!;
    let k = tariffs[tariff + 6]!;
    while (k + 1 < end && intervals[(k + 1) * I]! <= t) k++;
    const iv = k * I;
    const inc = intervals[iv + 4]!;
    const count = Math.ceil((Math.min(segEnd, intervals[iv + 1]!, seconds) - t) / inc);
    const part = intervals[iv + 2]! * count * inc * intervals[iv + 5]!;
    total += part;
    if (steps) {
      steps.push(`${t}–${t + count * inc} s (${c.tariffPeriod[tariffBase + slot]}): ${count} × ${inc} s at ${c.intervalRate[k]}/${intervals[iv + 3]} s ${fractionText(part, lcm)}`);
    }
    t += count * inc;
  }
  chargedSeconds = t;
  return total;
}

/** charge() in bigint, for totals beyond 2⁵³ (the steps were written by charge()). */
function chargeBig(c: CompiledPlan, table: PeriodTable, tariffBase: number, first: number, lcm: number, startMs: number, seconds: number): bigint {
  const tariffs = c.tariffs;
  const intervals = c.intervals;
  let total = BigInt(tariffs[first * T]!) * BigInt(lcm);
  let t = 0;
  let segEnd = -1;
  let slot = 0;
  while (t < seconds) {
    if (t >= segEnd) {
      const at = startMs + t * 1000;
      segmentAt(c, table, at);
      slot = segmentSlot;
      segEnd = t + Math.ceil((segmentEndMs - at) / 1000);
    }
    const tariff = (tariffBase + slot) * T;
    const end = tariffs[tariff + 7]!;
    let k = tariffs[tariff + 6]!;
    while (k + 1 < end && intervals[(k + 1) * I]! <= t) k++;
    const iv = k * I;
    const inc = intervals[iv + 4]!;
    const count = Math.ceil((Math.min(segEnd, intervals[iv + 1]!, seconds) - t) / inc);
    total += BigInt(intervals[iv + 2]!) * BigInt(count * inc) * BigInt(intervals[iv + 5]!);
    t += count * inc;
  }
  return total;
}

/** N/(lcm·10⁹) as "= 0.10" when exact, or "≈ 0.021666666" (9 decimals) where it does not end. */
function fractionText(n: number | bigint, lcm: number): string {
  const big = BigInt(n);
  const l = BigInt(lcm);
  return (big % l === 0n ? '= ' : '≈ ') + nanoText(big / l, 2);
}

const ROUNDING_WORDS: Record<RoundingMethod, string> = { up: 'rounded up', down: 'rounded down', 'half-up': 'rounded half up', 'half-even': 'rounded half to even' };
const UP = 0;
const HALF_UP = 2;
const HALF_EVEN = 3;

/** Rounds N to the tariff's decimals, then applies minimum and maximum; returns nano-units. */
function finishNumber(c: CompiledPlan, n: number, lcm: number, first: number, steps: string[] | null): number {
  const tariffs = c.tariffs;
  const at = first * T;
  const method = tariffs[at + 3]!;
  const quantum = tariffs[at + 5]!;
  const q = quantum * lcm;
  const rest = n % q;
  const floor = (n - rest) / q;
  let units = floor;
  if (rest > 0) {
    if (method === UP) units = floor + 1;
    else if (method === HALF_UP) {
      if (rest * 2 >= q) units = floor + 1;
    } else if (method === HALF_EVEN) {
      if (rest * 2 > q || (rest * 2 === q && floor % 2 === 1)) units = floor + 1;
    }
  }
  let nano = units * quantum;
  const minimum = tariffs[at + 1]!;
  const maximum = tariffs[at + 2]!;
  if (steps) {
    const source = c.tariffSource[first]!;
    steps.push(`subtotal ${fractionText(n, lcm).replace(/^= /, '')} ${ROUNDING_WORDS[source.rounding]} to ${source.decimals} decimals = ${nanoText(nano, source.decimals)}`);
    if (nano < minimum) steps.push(`minimum charge ${source.minimumCharge} applies`);
    else if (maximum >= 0 && nano > maximum) steps.push(`capped at maximum cost ${source.maxCost}`);
  }
  if (nano < minimum) nano = minimum;
  if (maximum >= 0 && nano > maximum) nano = maximum;
  return nano;
}

function finishBig(c: CompiledPlan, n: bigint, lcm: bigint, first: number, steps: string[] | null): bigint {
  const source = c.tariffSource[first]!;
  const at = first * T;
  const quantum = BigInt(c.tariffs[at + 5]!);
  const q = quantum * lcm;
  const rest = n % q;
  const floor = n / q;
  let units = floor;
  if (rest > 0n) {
    if (source.rounding === 'up') units = floor + 1n;
    else if (source.rounding === 'half-up' && rest * 2n >= q) units = floor + 1n;
    else if (source.rounding === 'half-even' && (rest * 2n > q || (rest * 2n === q && floor % 2n === 1n))) units = floor + 1n;
  }
  let nano = units * quantum;
  if (steps) steps.push(`subtotal ${fractionText(n, Number(lcm)).replace(/^= /, '')} ${ROUNDING_WORDS[source.rounding]} to ${source.decimals} decimals = ${nanoText(nano, source.decimals)}`);
  const minimum = BigInt(c.tariffs[at + 1]!);
  const maximum = c.tariffs[at + 2]!;
  if (nano < minimum) nano = minimum;
  if (maximum >= 0 && nano > BigInt(maximum)) nano = BigInt(maximum);
  return nano;
}
