import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { DialPlan } from '../config/schema.js';
import type { Direction } from '../core/call.js';
import { defaultEmergencyNumbers } from './emergency.js';
import { fastInternational, fastNational, type Reading } from './fast.js';
import { defaultInternationalPrefix, isSupportedCountry, mainCountryOf, nationalPrefixOf, numberingPlan, type CountryCode } from './metadata.js';

// Dialled digits → what kind of call it was, under one switch's dial plan. Country and line type
// come from libphonenumber-js's `max` metadata (the set that tells FIXED_LINE from MOBILE,
// TOLL_FREE and PREMIUM_RATE); the dial plan adds what only the site knows: outside-line codes,
// extension lengths, its area code, emergency and special numbers.

export const NUMBER_TYPES = ['internal', 'local', 'national', 'mobile', 'international', 'toll-free', 'premium', 'emergency', 'unknown'] as const;
export type NumberType = (typeof NUMBER_TYPES)[number];

export interface Classification {
  type: NumberType;
  /** E.164 digits without '+', or null for extensions, short codes and numbers that are not numbers. */
  e164: string | null;
  /** ISO 3166 country of the number (null for non-geographic numbers and unknowns). */
  country: string | null;
  /** The digits left after cleaning and stripping access codes and ignored prefixes. */
  digits: string;
  /** libphonenumber-js's number type (FIXED_LINE, MOBILE, TOLL_FREE …), or null. */
  lineType: string | null;
  /** libphonenumber-js says the number is valid (not merely of a possible length). */
  valid: boolean;
  /** The label of a special number from the dial plan. */
  special?: string;
  /** Why the number is unknown (or only possible, not valid). */
  reason?: string;
}

const DEFAULT_EXTENSION_LENGTH = { min: 2, max: 5 };
const CACHE_LIMIT = 50_000;
const FORMATTING = /[\s\-.()/]/g;

interface CompiledPlan {
  country: CountryCode | undefined;
  areaCode: string;
  outsideLines: string[];
  ignorePrefixes: string[];
  nationalPrefix: string | undefined;
  internationalPrefixes: string[];
  extension: { min: number; max: number };
  maxDigits: number | undefined;
  /** The most digits a national number of the country can have, national prefix included. */
  longestNational: number;
  emergency: Set<string>;
  special: Map<string, { label: string; type: NumberType }>;
  cache: Map<string, Classification>;
}

const longestFirst = (list: string[]): string[] => [...new Set(list.filter((p) => p !== ''))].sort((a, b) => b.length - a.length);

function compile(plan: DialPlan): CompiledPlan {
  const country = plan.country && isSupportedCountry(plan.country) ? plan.country : undefined;
  const outside = plan.outsideLine === undefined ? [] : Array.isArray(plan.outsideLine) ? plan.outsideLine : [plan.outsideLine];
  const idd = plan.internationalPrefix || (country ? defaultInternationalPrefix(country) : null);
  const special = new Map<string, { label: string; type: NumberType }>();
  for (const [number, v] of Object.entries(plan.specialNumbers ?? {})) {
    special.set(number, typeof v === 'string' ? { label: v, type: 'national' } : { label: v.label, type: v.type ?? 'national' });
  }
  return {
    country,
    areaCode: plan.areaCode ?? '',
    outsideLines: longestFirst(outside),
    ignorePrefixes: longestFirst(plan.ignorePrefixes ?? []),
    nationalPrefix: plan.nationalPrefix !== undefined ? plan.nationalPrefix || undefined : country ? nationalPrefixOf(country) : undefined,
    internationalPrefixes: idd ? [idd] : [],
    extension: plan.extensionLength ?? (plan.minDigits ? { min: 1, max: plan.minDigits - 1 } : DEFAULT_EXTENSION_LENGTH),
    maxDigits: plan.maxDigits,
    longestNational: country ? Math.max(...numberingPlan(country).possibleLengths()) + (nationalPrefixOf(country)?.length ?? 0) : 0,
    emergency: new Set([...defaultEmergencyNumbers(country), ...(plan.emergencyNumbers ?? [])]),
    special,
    cache: new Map(),
  };
}

const compiled = new WeakMap<DialPlan, CompiledPlan>();
const EMPTY_PLAN = compile({});

function compiledPlan(plan: DialPlan): CompiledPlan {
  let c = compiled.get(plan);
  if (!c) {
    // parse passes a fresh {} per call; share one compiled plan (and its cache) for all of them.
    c = Object.keys(plan).length === 0 ? EMPTY_PLAN : compile(plan);
    compiled.set(plan, c);
  }
  return c;
}

function unknown(digits: string, reason: string, country: string | null = null): Classification {
  return { type: 'unknown', e164: null, country, digits, lineType: null, valid: false, reason };
}

/** How good a reading of the digits is: a valid number beats a possible one beats nothing. */
function rank(c: Classification): number {
  return c.valid ? 2 : c.e164 ? 1 : 0;
}

function startsWithAny(digits: string, prefixes: string[]): string | undefined {
  return prefixes.find((p) => digits.length > p.length && digits.startsWith(p));
}

/** libphonenumber-js's own reading, for what the fast path leaves to it. */
function slowReading(text: string, country?: CountryCode): Reading | null {
  const p = parsePhoneNumberFromString(text, country);
  if (!p || !p.isPossible()) return null;
  const valid = p.isValid();
  return {
    e164: p.number.slice(1),
    country: p.country ?? (valid ? null : mainCountryOf(p.countryCallingCode)),
    callingCode: p.countryCallingCode,
    nationalNumber: p.nationalNumber,
    valid,
    lineType: valid ? (p.getType() ?? null) : null,
  };
}

export function readInternational(digits: string): Reading | null {
  const fast = fastInternational(digits);
  return fast === 'impossible' ? null : (fast ?? slowReading('+' + digits));
}

export function readNational(digits: string, country: CountryCode): Reading | null {
  const fast = fastNational(country, digits);
  return fast === 'invalid' ? null : (fast ?? slowReading(digits, country));
}

function describe(c: CompiledPlan, r: Reading, digits: string, dialledLocally: boolean): Classification {
  const { country, lineType, valid } = r;
  const base = { e164: r.e164, country, digits, lineType, valid };
  const reason = valid ? undefined : `not a valid number${country ? ` in ${country}` : ''}, only of a possible length`;
  let type: NumberType;
  if (!c.country) {
    // Without a home country only the line type can be told, not local/national/international.
    type = lineType === 'MOBILE' ? 'mobile' : lineType === 'TOLL_FREE' ? 'toll-free' : lineType === 'PREMIUM_RATE' ? 'premium' : 'unknown';
    return { type, ...base, ...(type === 'unknown' ? { reason: reason ?? 'the dial plan has no country, so local, national or international cannot be told' } : {}) };
  }
  if (country !== c.country) type = 'international';
  else if (lineType === 'MOBILE') type = 'mobile';
  else if (lineType === 'TOLL_FREE') type = 'toll-free';
  else if (lineType === 'PREMIUM_RATE') type = 'premium';
  else type = dialledLocally || (c.areaCode !== '' && r.nationalNumber.startsWith(c.areaCode)) ? 'local' : 'national';
  return reason ? { type, ...base, reason } : { type, ...base };
}

function international(c: CompiledPlan, digits: string): Classification {
  const r = readInternational(digits);
  return r ? describe(c, r, digits, false) : unknown(digits, 'not a valid international number');
}

/** Only valid readings: a merely possible national reading is too often a misread (44 0200000). */
function national(c: CompiledPlan, digits: string, country: CountryCode): Classification | null {
  const r = readNational(digits, country);
  return r?.valid ? describe(c, r, digits, false) : null;
}

/**
 * Digits with outside-line code(s) already removed (or never there). `bare`: digits too long for
 * a national number may be an international number without its prefix (as CDRs and caller IDs
 * often write them) — not when the reading is a guess that the outside-line digit was dialled.
 */
function analyse(c: CompiledPlan, dialled: string, bare = true): Classification {
  const ignored = startsWithAny(dialled, c.ignorePrefixes);
  const digits = ignored ? dialled.slice(ignored.length) : dialled;
  const idd = startsWithAny(digits, c.internationalPrefixes);
  if (idd) return international(c, digits.slice(idd.length));
  if (!c.country || (c.maxDigits !== undefined && digits.length > c.maxDigits)) return international(c, digits);

  const asDialled = national(c, digits, c.country);
  if (asDialled) return asDialled;
  if (c.areaCode && !(c.nationalPrefix && digits.startsWith(c.nationalPrefix))) {
    // A subscriber number dialled without its area code: a local call.
    const r = readNational(c.areaCode + digits, c.country);
    if (r?.valid) return describe(c, r, digits, true);
  }
  if (bare && digits.length > c.longestNational) {
    const asInternational = international(c, digits);
    if (rank(asInternational) > 0) return asInternational;
  }
  return unknown(digits, `not a valid number in ${c.country}`, c.country);
}

function classifyClean(c: CompiledPlan, cleaned: string, stripOutsideLine: boolean): Classification {
  if (cleaned === '' || cleaned === '+') return unknown('', 'empty number');
  const plus = cleaned.startsWith('+');
  const rest = plus ? cleaned.slice(1) : cleaned;
  const bad = /\D/.exec(rest);
  if (bad) {
    const what = bad[0] === '*' || bad[0] === '#' ? `"${bad[0]}" (a feature code, not a number)` : bad[0] === '+' ? '"+" inside the number' : /[A-Za-z]/.test(bad[0]) ? `the letter "${bad[0]}"` : `"${bad[0]}"`;
    return unknown(cleaned, `contains ${what}`);
  }
  if (plus) return international(c, rest);

  const outside = stripOutsideLine ? startsWithAny(rest, c.outsideLines) : undefined;
  const stripped = outside ? rest.slice(outside.length) : undefined;
  for (const d of stripped === undefined ? [rest] : [rest, stripped]) {
    if (c.emergency.has(d)) return { type: 'emergency', e164: null, country: c.country ?? null, digits: d, lineType: null, valid: true };
    const special = c.special.get(d);
    if (special) return { type: special.type, e164: null, country: c.country ?? null, digits: d, lineType: null, valid: true, special: special.label };
  }
  // Extensions never start with an outside-line code; a number that does is an outside call.
  if (stripped === undefined && rest.length >= c.extension.min && rest.length <= c.extension.max) {
    return { type: 'internal', e164: null, country: null, digits: rest, lineType: null, valid: true };
  }
  if (stripped === undefined) return analyse(c, rest);
  // "9" might be the outside line or the first digit of the number: prefer the stripped reading
  // unless only the digits as dialled make a number.
  const a = analyse(c, stripped);
  if (a.valid) return a;
  const b = analyse(c, rest, false);
  return rank(b) > rank(a) ? b : a;
}

/**
 * Classifies a dialled (or calling) number under a switch's dial plan. Outside-line codes are
 * stripped for outbound calls and when the direction is not known; letters, '*' and '#' make the
 * number unknown with the reason. Results are cached per plan, so treat them as read-only.
 */
export function classifyNumber(dialled: string | null | undefined, plan: DialPlan, direction?: Direction): Readonly<Classification> {
  const c = compiledPlan(plan);
  const stripOutsideLine = direction !== 'inbound' && direction !== 'internal';
  const raw = dialled ?? '';
  const key = (stripOutsideLine ? 'o' : 'i') + raw;
  const cached = c.cache.get(key);
  if (cached) return cached;
  const result = classifyClean(c, raw.replace(FORMATTING, ''), stripOutsideLine);
  if (c.cache.size >= CACHE_LIMIT) c.cache.clear();
  c.cache.set(key, result);
  return result;
}
