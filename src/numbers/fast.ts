import { callingCodeOf, countriesOfCallingCode, leadingDigitsOf, nationalPrefixOf, numberingPlan, type CountryCode } from './metadata.js';

// A fast path for reading numbers. libphonenumber-js builds Metadata objects and compiles every
// pattern anew on each call (25-40 µs a number on an idle core); this reads the same `max`
// metadata with the patterns compiled once, following libphonenumber-js's own steps (national
// prefix, country among those sharing a code, number type). It answers when it can be sure —
// a valid reading, or that libphonenumber-js would not find one — and returns null otherwise
// (carrier codes, transform rules, non-geographic codes), for the caller to ask the library.
// fast.test.ts checks on tens of thousands of numbers that both say the same.

export interface Reading {
  /** E.164 digits without '+'. */
  e164: string;
  country: string | null;
  callingCode: string;
  nationalNumber: string;
  valid: boolean;
  lineType: string | null;
}

interface TypeRule {
  type: string;
  re: RegExp;
  lengths: number[] | undefined;
}

interface CountryRules {
  country: string;
  callingCode: string;
  /** The national prefix as libphonenumber-js parses it ("0", or "0|180020" for GB), or null. */
  nationalPrefix: RegExp | null;
  /** False when the country's national prefix needs libphonenumber-js's own parsing (carrier codes, transform rules). */
  simple: boolean;
  national: RegExp;
  /** libphonenumber-js reads numbers starting with this as international, even without '+'. */
  idd: RegExp | null;
  possibleLengths: number[];
  leadingDigits: RegExp | null;
  fixed: TypeRule | null;
  mobile: TypeRule | null;
  mobileEmpty: boolean;
  others: TypeRule[];
}

// The order libphonenumber-js's getNumberType tries the types after FIXED_LINE.
const NON_FIXED_LINE_TYPES = ['MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];

const entirely = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);
const rules = new Map<string, CountryRules>();

function rulesOf(country: string): CountryRules {
  let r = rules.get(country);
  if (r) return r;
  const plan = numberingPlan(country as CountryCode);
  const allLengths = plan.possibleLengths();
  const typeRule = (type: string): TypeRule | null => {
    const t = plan.type(type);
    const pattern = t?.pattern();
    return t && pattern ? { type, re: entirely(pattern), lengths: t.possibleLengths() ?? allLengths } : null;
  };
  const mobileType = plan.type('MOBILE');
  const parsingPrefix: unknown = plan._nationalPrefixForParsing();
  const transform: unknown = plan.nationalPrefixTransformRule();
  const prefix = typeof parsingPrefix === 'string' && parsingPrefix !== '' ? parsingPrefix : country === '001' ? undefined : nationalPrefixOf(country as CountryCode);
  const leading = country === '001' ? undefined : leadingDigitsOf(country as CountryCode);
  r = {
    country,
    callingCode: callingCodeOf(country as CountryCode),
    nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : null,
    // A capturing group in the parsing pattern means a carrier code or a transform: not ours.
    simple: !(typeof transform === 'string' && transform !== '') && !(prefix && /\((?!\?)/.test(prefix)),
    national: entirely(plan.nationalNumberPattern()),
    idd: country === '001' || !plan.IDDPrefix() ? null : new RegExp(`^(?:${plan.IDDPrefix()})`),
    possibleLengths: allLengths ?? [],
    leadingDigits: leading ? new RegExp(`^(?:${leading})`) : null,
    fixed: typeRule('FIXED_LINE'),
    mobile: typeRule('MOBILE'),
    mobileEmpty: !mobileType || !mobileType.pattern(),
    others: NON_FIXED_LINE_TYPES.map(typeRule).filter((t): t is TypeRule => t !== null),
  };
  rules.set(country, r);
  return r;
}

function matches(rule: TypeRule, nsn: string): boolean {
  return (!rule.lengths || rule.lengths.includes(nsn.length)) && rule.re.test(nsn);
}

/** libphonenumber-js's getNumberType, on precompiled patterns. */
function typeOf(r: CountryRules, nsn: string): string | undefined {
  if (!r.national.test(nsn)) return undefined;
  if (r.fixed && matches(r.fixed, nsn)) {
    if (r.mobileEmpty || !r.mobile || matches(r.mobile, nsn)) return 'FIXED_LINE_OR_MOBILE';
    return 'FIXED_LINE';
  }
  for (const t of r.others) if (matches(t, nsn)) return t.type;
  return undefined;
}

/** libphonenumber-js's line type of a national significant number in a country, or undefined. */
export function lineTypeOf(country: string, nsn: string): string | undefined {
  return typeOf(rulesOf(country), nsn);
}

/** The lengths mobile numbers can have in a country, or null when its metadata cannot tell mobile from fixed. */
export function mobileLengths(country: string): number[] | null {
  const r = rulesOf(country);
  if (r.mobileEmpty || !r.mobile || (r.fixed && r.fixed.re.source === r.mobile.re.source)) return null;
  return r.mobile.lengths ?? null;
}

/**
 * The country of a national number among those sharing its calling code, as libphonenumber-js's
 * getCountryByNationalNumber picks it (in the metadata's order: leading digits, else a number
 * type), with its line type; null when that country's patterns do not make it valid.
 */
function countryOf(countries: string[], nsn: string): { country: string; lineType: string } | null {
  if (countries.length === 1) {
    const lineType = typeOf(rulesOf(countries[0]!), nsn);
    return lineType ? { country: countries[0]!, lineType } : null;
  }
  for (const country of countries) {
    const r = rulesOf(country);
    if (r.leadingDigits) {
      if (!r.leadingDigits.test(nsn)) continue;
      const lineType = typeOf(r, nsn);
      return lineType ? { country, lineType } : null;
    }
    const lineType = typeOf(r, nsn);
    if (lineType) return { country, lineType };
  }
  return null;
}

/** The national significant number, as libphonenumber-js's extractNationalNumber finds it. */
function nationalNumberOf(r: CountryRules, digits: string): string {
  const m = r.nationalPrefix?.exec(digits);
  if (!m || m[0] === '') return digits;
  const after = digits.slice(m[0].length);
  // The prefix stays when taking it off breaks the pattern, or leaves too few digits.
  if (r.national.test(digits) && !r.national.test(after)) return digits;
  const lengths = r.possibleLengths;
  const tooShort = lengths.length > 0 && after.length < lengths[0]!;
  const invalidLength = lengths.length > 0 && after.length <= lengths[lengths.length - 1]! && !lengths.includes(after.length);
  return tooShort || invalidLength ? digits : after;
}

/**
 * A number written in a country's national format (national prefix optional): its reading when
 * valid, 'invalid' when libphonenumber-js would not call it valid either, null when only
 * libphonenumber-js can tell.
 */
export function fastNational(country: string, digits: string): Reading | 'invalid' | null {
  const r = rulesOf(country);
  if (!r.simple || r.idd?.test(digits)) return null;
  const nsn = nationalNumberOf(r, digits);
  const countries = countriesOfCallingCode(r.callingCode) ?? [country];
  const found = countryOf(countries, nsn);
  if (found) return { e164: r.callingCode + nsn, country: found.country, callingCode: r.callingCode, nationalNumber: nsn, valid: true, lineType: found.lineType };
  // libphonenumber-js also tries digits that start with the country's own calling code as international.
  return digits.startsWith(r.callingCode) ? null : 'invalid';
}

/** libphonenumber-js's country choice among those sharing a calling code, valid or not. */
function chosenCountry(countries: string[], nsn: string): string | undefined {
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    const r = rulesOf(country);
    if (r.leadingDigits ? r.leadingDigits.test(nsn) : typeOf(r, nsn) !== undefined) return country;
  }
  return undefined;
}

/** libphonenumber-js's isPossible: the length fits the country's (or the code's main country's) lengths. */
function possibleLength(r: CountryRules, nsn: string): boolean {
  const lengths = r.possibleLengths;
  return lengths.length === 0 || lengths.includes(nsn.length);
}

/**
 * A number that starts with its country calling code: its reading (valid, or only of a possible
 * length), 'impossible' when libphonenumber-js would not read it either, null when only
 * libphonenumber-js can tell.
 */
export function fastInternational(digits: string): Reading | 'impossible' | null {
  for (let len = 1; len <= 3 && len < digits.length; len++) {
    const code = digits.slice(0, len);
    const countries = countriesOfCallingCode(code);
    if (!countries) continue;
    // Non-geographic codes are libphonenumber-js's business.
    if (countries[0] === '001') return null;
    const nsn = digits.slice(len);
    const country = chosenCountry(countries, nsn);
    const r = rulesOf(country ?? countries[0]!);
    // A national prefix written after the calling code ("+44 (0) 20 …") is libphonenumber-js's business too.
    if (r.nationalPrefix?.test(nsn) || rulesOf(countries[0]!).nationalPrefix?.test(nsn)) return null;
    const lineType = country ? typeOf(r, nsn) : undefined;
    if (lineType) return { e164: digits, country: country!, callingCode: code, nationalNumber: nsn, valid: true, lineType };
    if (!possibleLength(r, nsn)) return 'impossible';
    return { e164: digits, country: country ?? countries[0]!, callingCode: code, nationalNumber: nsn, valid: false, lineType: null };
  }
  return null;
}
