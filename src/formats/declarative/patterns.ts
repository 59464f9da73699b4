// Date/time and duration patterns of declarative definitions ("YYYYMMDD HH:mm:ss", "MM/DD",
// "HH:mm:ss", "seconds"), compiled once into a reader and a writer. A pattern whose tokens all have
// a fixed width is read by position, without a regex; the regex is the fallback for variable widths
// (M, D, H …) and for values of an unexpected length.

import { readDigits } from '../../core/digits.js';
import type { LocalTime } from '../../core/time.js';

interface TokenSpec {
  /** Characters it takes when fixed, or null when it takes 1 or more. */
  width: number | null;
  /** What the regex fallback matches. */
  re: string;
}

type Part = { token: string; spec: TokenSpec } | { literal: string };

interface Tokenized {
  parts: Part[];
  /** The length of every value when all parts are fixed, else null. */
  fixedLength: number | null;
  regex: RegExp;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Splits a pattern into tokens (longest first) and literals; letters that are no token are an error. */
function tokenize(pattern: string, table: Record<string, TokenSpec>): Tokenized | string {
  const names = Object.keys(table).sort((a, b) => b.length - a.length);
  const parts: Part[] = [];
  const literal = (text: string): void => {
    const last = parts[parts.length - 1];
    if (last && 'literal' in last) last.literal += text;
    else parts.push({ literal: text });
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) return `"[" at position ${i + 1} has no closing "]"`;
      literal(pattern.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    const name = names.find((n) => pattern.startsWith(n, i));
    if (name) {
      parts.push({ token: name, spec: table[name]! });
      i += name.length;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      return `"${c}" at position ${i + 1} is not a token (tokens: ${names.join(' ')}); put literal letters in [brackets]`;
    }
    literal(c);
    i++;
  }
  let fixedLength: number | null = 0;
  let re = '^';
  for (const p of parts) {
    if ('literal' in p) {
      if (fixedLength !== null) fixedLength += p.literal.length;
      // A space in the pattern accepts a run of spaces when the value is read by regex.
      re += p.literal.split(' ').map(escapeRe).join(' +');
    } else {
      fixedLength = p.spec.width === null || fixedLength === null ? null : fixedLength + p.spec.width;
      re += '(' + p.spec.re + ')';
    }
  }
  return { parts, fixedLength, regex: new RegExp(re + '$') };
}

/**
 * Reads the token values of a text into `out` (one slot per token, in order; AM/PM as 0/1).
 * Returns false when the text does not fit the pattern.
 */
function readTokens(t: Tokenized, text: string, out: number[]): boolean {
  if (t.fixedLength !== null && text.length === t.fixedLength) {
    let at = 0;
    let slot = 0;
    let ok = true;
    for (const p of t.parts) {
      if ('literal' in p) {
        if (text.startsWith(p.literal, at)) {
          at += p.literal.length;
          continue;
        }
        ok = false;
        break;
      }
      const width = p.spec.width!;
      const value = p.token === 'A' || p.token === 'a' ? ampm(text, at) : readDigits(text, at, at + width);
      if (value < 0) {
        ok = false;
        break;
      }
      out[slot++] = value;
      at += width;
    }
    if (ok) return true;
  }
  const m = t.regex.exec(text);
  if (!m) return false;
  let slot = 0;
  for (const p of t.parts) {
    if ('literal' in p) continue;
    const g = m[slot + 1]!;
    out[slot++] = p.token === 'A' || p.token === 'a' ? ampm(g, 0) : Number(g);
  }
  return true;
}

/** 0 for AM, 1 for PM, -1 otherwise. */
function ampm(text: string, at: number): number {
  const a = text.charCodeAt(at) | 0x20;
  const m = text.charCodeAt(at + 1) | 0x20;
  if (m !== 0x6d) return -1;
  return a === 0x61 ? 0 : a === 0x70 ? 1 : -1;
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

// ---------------------------------------------------------------------------------------------
// Dates and times

const DATE_TOKENS: Record<string, TokenSpec> = {
  YYYY: { width: 4, re: '\\d{4}' },
  YY: { width: 2, re: '\\d{2}' },
  MM: { width: 2, re: '\\d{2}' },
  M: { width: null, re: '\\d{1,2}' },
  DD: { width: 2, re: '\\d{2}' },
  D: { width: null, re: '\\d{1,2}' },
  HH: { width: 2, re: '\\d{2}' },
  H: { width: null, re: '\\d{1,2}' },
  hh: { width: 2, re: '\\d{2}' },
  h: { width: null, re: '\\d{1,2}' },
  mm: { width: 2, re: '\\d{2}' },
  ss: { width: 2, re: '\\d{2}' },
  A: { width: 2, re: '[AaPp][Mm]' },
  a: { width: 2, re: '[AaPp][Mm]' },
};

type Unit = 'year' | 'year2' | 'month' | 'day' | 'hour' | 'hour12' | 'minute' | 'second' | 'ampm';
const UNIT_OF: Record<string, Unit> = {
  YYYY: 'year',
  YY: 'year2',
  MM: 'month',
  M: 'month',
  DD: 'day',
  D: 'day',
  HH: 'hour',
  H: 'hour',
  hh: 'hour12',
  h: 'hour12',
  mm: 'minute',
  ss: 'second',
  A: 'ampm',
  a: 'ampm',
};

/** The parts of a local time one pattern read; -1 where the pattern has no such token. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function emptyParts(): LocalParts {
  return { year: -1, month: -1, day: -1, hour: -1, minute: -1, second: -1 };
}

export interface DatePattern {
  source: string;
  /** Which parts of a local time the pattern carries. */
  has: { year: boolean; month: boolean; day: boolean; hour: boolean; minute: boolean; second: boolean };
  /** Reads a value into `into` (only the parts the pattern has); false when it does not fit. */
  read(text: string, into: LocalParts): boolean;
  write(t: LocalTime): string;
}

export function compileDatePattern(source: string): DatePattern | string {
  const t = tokenize(source, DATE_TOKENS);
  if (typeof t === 'string') return t;
  const units: Unit[] = [];
  for (const p of t.parts) {
    if ('literal' in p) continue;
    const unit = UNIT_OF[p.token]!;
    const same = (u: Unit): boolean => u === unit || (u === 'year' && unit === 'year2') || (u === 'year2' && unit === 'year') || (u === 'hour' && unit === 'hour12') || (u === 'hour12' && unit === 'hour');
    if (units.some(same)) return `"${p.token}" repeats a part the pattern already has`;
    units.push(unit);
  }
  if (units.length === 0) return 'has no date or time tokens';
  const twelve = units.includes('hour12');
  if (twelve !== units.includes('ampm')) {
    return twelve ? 'hh/h is the 12-hour clock and needs A (AM/PM); use HH for the 24-hour clock' : 'A (AM/PM) needs a 12-hour hh or h';
  }
  const slots = new Array<number>(units.length).fill(0);
  const has = {
    year: units.includes('year') || units.includes('year2'),
    month: units.includes('month'),
    day: units.includes('day'),
    hour: units.includes('hour') || twelve,
    minute: units.includes('minute'),
    second: units.includes('second'),
  };
  const ampmSlot = units.indexOf('ampm');
  return {
    source,
    has,
    read(text, into) {
      if (!readTokens(t, text, slots)) return false;
      for (let i = 0; i < units.length; i++) {
        const v = slots[i]!;
        switch (units[i]) {
          case 'year':
            into.year = v;
            break;
          case 'year2':
            into.year = 2000 + v;
            break;
          case 'month':
            into.month = v;
            break;
          case 'day':
            into.day = v;
            break;
          case 'hour':
            into.hour = v;
            break;
          case 'hour12':
            if (v < 1 || v > 12) return false;
            into.hour = (v % 12) + (slots[ampmSlot] === 1 ? 12 : 0);
            break;
          case 'minute':
            into.minute = v;
            break;
          case 'second':
            into.second = v;
            break;
        }
      }
      return true;
    },
    write(lt) {
      let out = '';
      for (const p of t.parts) {
        if ('literal' in p) {
          out += p.literal;
          continue;
        }
        switch (p.token) {
          case 'YYYY':
            out += String(lt.year).padStart(4, '0');
            break;
          case 'YY':
            out += pad2(lt.year % 100);
            break;
          case 'MM':
            out += pad2(lt.month);
            break;
          case 'M':
            out += lt.month;
            break;
          case 'DD':
            out += pad2(lt.day);
            break;
          case 'D':
            out += lt.day;
            break;
          case 'HH':
            out += pad2(lt.hour);
            break;
          case 'H':
            out += lt.hour;
            break;
          case 'hh':
            out += pad2(lt.hour % 12 || 12);
            break;
          case 'h':
            out += lt.hour % 12 || 12;
            break;
          case 'mm':
            out += pad2(lt.minute);
            break;
          case 'ss':
            out += pad2(lt.second);
            break;
          case 'A':
            out += lt.hour < 12 ? 'AM' : 'PM';
            break;
          case 'a':
            out += lt.hour < 12 ? 'am' : 'pm';
            break;
        }
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Durations

const DURATION_TOKENS: Record<string, TokenSpec> = {
  HH: { width: 2, re: '\\d{2,}' },
  H: { width: null, re: '\\d+' },
  mm: { width: 2, re: '\\d{2,}' },
  m: { width: null, re: '\\d+' },
  ss: { width: 2, re: '\\d{2,}' },
  s: { width: null, re: '\\d+' },
};
const SECONDS_PER: Record<string, number> = { HH: 3600, H: 3600, mm: 60, m: 60, ss: 1, s: 1 };

export interface DurationPattern {
  source: string;
  /** What a value should look like, for error messages ("a whole number of seconds"). */
  description: string;
  /** Whole seconds, or -1 when the text does not fit (empty text is the caller's business). */
  read(text: string): number;
  write(seconds: number): string;
}

function readWholeNumber(text: string, scale: number): number {
  if (text.length === 0 || text.length > 15) return -1;
  const n = readDigits(text, 0, text.length);
  return n < 0 ? -1 : n * scale;
}

/** `seconds`, `minutes`, or a pattern of HH/H, mm/m, ss/s such as `HH:mm:ss`, `mm:ss`, `HH:mm'ss`. */
export function compileDurationPattern(source: string): DurationPattern | string {
  if (source === 'seconds' || source === 'minutes') {
    const scale = source === 'seconds' ? 1 : 60;
    return {
      source,
      description: `a whole number of ${source}`,
      read: (text) => readWholeNumber(text, scale),
      write: (seconds) => String(Math.round(seconds / scale)),
    };
  }
  const t = tokenize(source, DURATION_TOKENS);
  if (typeof t === 'string') return t;
  const tokens = t.parts.flatMap((p) => ('token' in p ? [p.token] : []));
  if (tokens.length === 0) return 'has no HH, mm or ss token (or say seconds / minutes)';
  const scales = tokens.map((tok) => SECONDS_PER[tok]!);
  for (let i = 1; i < scales.length; i++) {
    if (scales[i]! >= scales[i - 1]!) return 'tokens must go from the largest unit to the smallest, each once';
  }
  if (scales.length === 2 && scales[0] === 3600 && scales[1] === 1) return 'hours and seconds need minutes between them';
  const slots = new Array<number>(tokens.length).fill(0);
  return {
    source,
    description: `a duration of the form ${source}`,
    read(text) {
      if (!readTokens(t, text, slots)) return -1;
      let total = 0;
      for (let i = 0; i < slots.length; i++) {
        const v = slots[i]!;
        // Only the largest unit may exceed its range (minutes in `mm:ss` count past 59).
        if (i > 0 && v > 59) return -1;
        total += v * scales[i]!;
      }
      return total;
    },
    write(seconds) {
      let rest = Math.max(0, Math.round(seconds));
      let out = '';
      let slot = 0;
      for (const p of t.parts) {
        if ('literal' in p) {
          out += p.literal;
          continue;
        }
        const scale = scales[slot]!;
        const value = Math.floor(rest / scale);
        rest -= value * scale;
        out += p.spec.width === 2 ? pad2(value) : String(value);
        slot++;
      }
      return out;
    },
  };
}
