import metadataJson from 'libphonenumber-js/metadata.max.json';
import { Metadata, getCountries, getCountryCallingCode, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';

// The parts of libphonenumber-js's `max` metadata that Calltrail reads directly (national prefix,
// number-type patterns, which countries share a calling code). The library's public typings
// expose only a few numbering-plan methods; these are the others, as its Metadata class has them.

interface TypeInternals {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface PlanInternals {
  nationalPrefix(): string | undefined;
  _nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  IDDPrefix(): string;
  defaultIDDPrefix(): string | undefined;
  nationalNumberPattern(): string;
  possibleLengths(): number[];
  leadingDigits(): string | undefined;
  type(type: string): TypeInternals | undefined;
}

export { getCountries, isSupportedCountry, type CountryCode };

const plans = new Map<string, PlanInternals>();

/** Compressed metadata writes 0 for "absent"; these turn that into undefined. */
export function nationalPrefixOf(country: CountryCode): string | undefined {
  const v: unknown = numberingPlan(country).nationalPrefix();
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function leadingDigitsOf(country: CountryCode): string | undefined {
  const v: unknown = numberingPlan(country).leadingDigits();
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The numbering plan of a country (or of a non-geographic calling code such as "800"). */
export function numberingPlan(country: CountryCode): PlanInternals {
  let plan = plans.get(country);
  if (!plan) {
    const m = new Metadata();
    m.selectNumberingPlan(country);
    plan = m.numberingPlan as unknown as PlanInternals;
    plans.set(country, plan);
  }
  return plan;
}

export function callingCodeOf(country: CountryCode): string {
  return getCountryCallingCode(country);
}

/** Every country calling code with the countries that use it, the main country first. */
export function callingCodes(): [string, string[]][] {
  return Object.entries(metadataJson.country_calling_codes as Record<string, string[]>);
}

/** The non-geographic calling codes (800 International Freephone, 882 …). */
export function nonGeographicCodes(): string[] {
  return Object.keys((metadataJson as { nonGeographic?: Record<string, unknown> }).nonGeographic ?? {});
}

/** The countries (ISO codes, or "001" for non-geographic codes) that use a calling code. */
export function countriesOfCallingCode(callingCode: string): string[] | undefined {
  return (metadataJson.country_calling_codes as Record<string, string[] | undefined>)[callingCode];
}

/** The main country of a calling code (US for 1, GB for 44), or null for non-geographic codes. */
export function mainCountryOf(callingCode: string): string | null {
  const countries = (metadataJson.country_calling_codes as Record<string, string[] | undefined>)[callingCode];
  const first = countries?.[0];
  return first && first !== '001' ? first : null;
}

/** The prefix dialled for international calls from a country: its preferred IDD prefix ("00", "011"). */
export function defaultInternationalPrefix(country: CountryCode): string | null {
  const plan = numberingPlan(country);
  const preferred = plan.defaultIDDPrefix();
  if (preferred) return preferred;
  const idd = plan.IDDPrefix();
  return /^\d+$/.test(idd) ? idd : null;
}
