import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { fastInternational, fastNational } from './fast.js';
import { callingCodeOf, mainCountryOf, nationalPrefixOf } from './metadata.js';

// The fast path must say exactly what libphonenumber-js says, whenever it says anything.

function rand(seed: number): () => number {
  let a = seed;
  return () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
}

function slow(text: string, country?: Parameters<typeof parsePhoneNumberFromString>[1]) {
  const p = parsePhoneNumberFromString(text, country);
  return p && p.isValid() ? { e164: p.number.slice(1), country: p.country ?? null, lineType: p.getType() ?? null } : null;
}

/** What classify keeps of an international number that is not valid: possible or not, and where. */
function slowPossible(text: string) {
  const p = parsePhoneNumberFromString(text);
  if (!p || !p.isPossible()) return null;
  const valid = p.isValid();
  return { e164: p.number.slice(1), country: p.country ?? (valid ? null : mainCountryOf(p.countryCallingCode)), valid, lineType: valid ? (p.getType() ?? null) : null };
}

describe('fast number reading agrees with libphonenumber-js', () => {
  it('on example and random numbers of every country, nationally and internationally', () => {
    const r = rand(42);
    let answered = 0;
    let checked = 0;
    for (const country of getCountries()) {
      const code = callingCodeOf(country);
      const np = nationalPrefixOf(country) ?? '';
      const nsns: string[] = [];
      const example = getExampleNumber(country, examples);
      if (example) nsns.push(example.nationalNumber);
      for (let i = 0; i < 40; i++) {
        // Random numbers starting like the example, and wholly random ones.
        const base = i < 30 && example ? example.nationalNumber.slice(0, 1 + (i % 4)) : '';
        let nsn = base;
        const length = (example?.nationalNumber.length ?? 9) + (i % 3) - 1;
        while (nsn.length < length) nsn += Math.floor(r() * 10);
        nsns.push(nsn);
      }
      for (const nsn of nsns) {
        checked++;
        const intl = fastInternational(code + nsn);
        if (intl !== null) {
          answered++;
          const at = `+${code} ${nsn}`;
          const expected = slowPossible('+' + code + nsn);
          if (intl === 'impossible') expect({ at, expected }).toEqual({ at, expected: null });
          else expect({ at, e164: intl.e164, country: intl.country, valid: intl.valid, lineType: intl.lineType }).toEqual({ at, ...expected });
        }
        for (const [fast, expected] of [
          [fastNational(country, np + nsn), slow(np + nsn, country)],
          [fastNational(country, nsn), slow(nsn, country)],
        ] as const) {
          checked++;
          if (fast === null) continue;
          answered++;
          const at = `${country} ${nsn}`;
          if (fast === 'invalid') expect({ at, expected }).toEqual({ at, expected: null });
          else expect({ at, e164: fast.e164, country: fast.country, lineType: fast.lineType }).toEqual({ at, ...expected });
        }
      }
    }
    // The fast path must answer most of the valid numbers, or it is no fast path.
    expect(checked).toBeGreaterThan(20_000);
    expect(answered).toBeGreaterThan(25_000);
  });
});
