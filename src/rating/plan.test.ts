import { describe, expect, it } from 'vitest';
import { CalltrailError } from '../core/errors.js';
import { nanoText, parseNano, parsePlan, parseWindow, type PlanProblem, type RatePlanInput } from './plan.js';

function base(over: Partial<RatePlanInput> = {}): RatePlanInput {
  return {
    id: 'p',
    name: 'P',
    kind: 'sell',
    currency: 'EUR',
    rates: [{ prefix: '44', tariffs: [{ increments: [{ fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 }] }] }],
    ...over,
  };
}

function problemsOf(input: unknown): PlanProblem[] {
  try {
    parsePlan(input, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(CalltrailError);
    expect((err as CalltrailError).code).toBe('CONFIG_INVALID');
    return (err as CalltrailError).details as PlanProblem[];
  }
  throw new Error('the plan was accepted');
}

const tariffWith = (tariff: Record<string, unknown>): RatePlanInput => base({ rates: [{ prefix: '44', tariffs: [{ increments: [{ fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 }], ...tariff }] }] });
const incrementsOf = (increments: unknown[]): RatePlanInput => tariffWith({ increments });

describe('plan validation', () => {
  it('accepts a minimal plan and fills the defaults', () => {
    const plan = parsePlan(base());
    expect(plan).toEqual({
      id: 'p',
      name: 'P',
      kind: 'sell',
      currency: 'EUR',
      timeZone: 'UTC',
      tenant: null,
      carrier: null,
      trunks: [],
      holidays: [],
      periods: [{ name: 'any', when: ['mon-sun'] }],
      rates: [
        {
          prefix: '44',
          destination: null,
          effectiveFrom: null,
          tariffs: [{ period: 'any', connectFee: '0', minimumCharge: '0', maxCost: null, rounding: 'half-up', decimals: 4, increments: [{ fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 }] }],
        },
      ],
    });
  });

  it('reads numbers from YAML as exact decimal text', () => {
    const plan = parsePlan(incrementsOf([{ fromSecond: 0, rate: 0.1, unitSeconds: 60, incrementSeconds: 60 }]));
    expect(plan.rates[0]!.tariffs[0]!.increments[0]!.rate).toBe('0.1');
  });

  it('refuses negative rates, fees and charges', () => {
    expect(problemsOf(incrementsOf([{ fromSecond: 0, rate: '-0.1', unitSeconds: 60, incrementSeconds: 60 }]))).toEqual([
      { path: 'rates[0].tariffs[0].increments[0].rate', message: 'rate "-0.1" is negative' },
    ]);
    expect(problemsOf(tariffWith({ connectFee: '-1', minimumCharge: '-0.01' }))).toEqual([
      { path: 'rates[0].tariffs[0].connectFee', message: 'connectFee "-1" is negative' },
      { path: 'rates[0].tariffs[0].minimumCharge', message: 'minimumCharge "-0.01" is negative' },
    ]);
  });

  it('refuses absurd values: more than 1000 per minute, a 1000+ connect fee, units beyond an hour', () => {
    expect(problemsOf(incrementsOf([{ fromSecond: 0, rate: '17', unitSeconds: 1, incrementSeconds: 1 }]))).toEqual([
      { path: 'rates[0].tariffs[0].increments[0].rate', message: 'rate "17" per 1 s is absurd (more than 1000 per minute)' },
    ]);
    expect(problemsOf(tariffWith({ connectFee: '1500' }))).toEqual([{ path: 'rates[0].tariffs[0].connectFee', message: 'connectFee "1500" is absurd (more than 1000)' }]);
    expect(problemsOf(incrementsOf([{ fromSecond: 0, rate: '1', unitSeconds: 7200, incrementSeconds: 4000 }]))).toEqual([
      { path: 'rates[0].tariffs[0].increments[0].unitSeconds', message: 'unitSeconds 7200 is absurd (more than 3600)' },
      { path: 'rates[0].tariffs[0].increments[0].incrementSeconds', message: 'incrementSeconds 4000 is absurd (more than 3600)' },
    ]);
    // 1000 per minute exactly is allowed
    expect(() => parsePlan(incrementsOf([{ fromSecond: 0, rate: '1000', unitSeconds: 60, incrementSeconds: 60 }]))).not.toThrow();
  });

  it('refuses values that are not decimals or have more than 9 decimals', () => {
    expect(problemsOf(incrementsOf([{ fromSecond: 0, rate: '0.1234567891', unitSeconds: 60, incrementSeconds: 60 }]))).toEqual([
      { path: 'rates[0].tariffs[0].increments[0].rate', message: 'rate "0.1234567891" has more than 9 decimals' },
    ]);
    expect(problemsOf(incrementsOf([{ fromSecond: 0, rate: '1e-3', unitSeconds: 60, incrementSeconds: 60 }]))).toEqual([
      { path: 'rates[0].tariffs[0].increments[0].rate', message: 'rate "1e-3" is not a decimal number' },
    ]);
  });

  it('needs increments to start at 0 and go up', () => {
    expect(problemsOf(incrementsOf([{ fromSecond: 30, rate: '0.1', unitSeconds: 60, incrementSeconds: 60 }]))).toEqual([
      { path: 'rates[0].tariffs[0].increments[0].fromSecond', message: 'the first interval starts at 30 s; it must start at 0' },
    ]);
    expect(
      problemsOf(
        incrementsOf([
          { fromSecond: 0, rate: '0.1', unitSeconds: 60, incrementSeconds: 60 },
          { fromSecond: 60, rate: '0.1', unitSeconds: 60, incrementSeconds: 1 },
          { fromSecond: 60, rate: '0.1', unitSeconds: 60, incrementSeconds: 6 },
        ]),
      ),
    ).toEqual([{ path: 'rates[0].tariffs[0].increments[2].fromSecond', message: 'interval starts at 60 s, not after the previous one (60 s)' }]);
    expect(problemsOf(incrementsOf([]))).toEqual([{ path: 'rates[0].tariffs[0].increments', message: 'a tariff needs at least one increment' }]);
  });

  it('lists the gap a set of periods leaves', () => {
    const plan = base({
      periods: [
        { name: 'peak', when: ['mon-fri 08:00-18:00'] },
        { name: 'offpeak', when: ['mon-fri 18:00-24:00', 'sat,sun'] },
      ],
      rates: [
        {
          prefix: '44',
          tariffs: [
            { period: 'peak', increments: [{ fromSecond: 0, rate: '0.1', unitSeconds: 60, incrementSeconds: 60 }] },
            { period: 'offpeak', increments: [{ fromSecond: 0, rate: '0.05', unitSeconds: 60, incrementSeconds: 60 }] },
          ],
        },
      ],
    });
    expect(problemsOf(plan)).toEqual([
      {
        path: 'rates[0].tariffs',
        message: 'prefix 44 has no rate for mon 00:00–08:00, tue 00:00–08:00, wed 00:00–08:00, thu 00:00–08:00, fri 00:00–08:00 (periods peak, offpeak leave a gap)',
      },
    ]);
  });

  it('lists where periods overlap', () => {
    const plan = base({
      periods: [
        { name: 'peak', when: ['mon-fri 08:00-18:00'] },
        { name: 'all', when: ['mon-sun'] },
      ],
      rates: [
        {
          prefix: '44',
          tariffs: [
            { period: 'peak', increments: [{ fromSecond: 0, rate: '0.1', unitSeconds: 60, incrementSeconds: 60 }] },
            { period: 'all', increments: [{ fromSecond: 0, rate: '0.05', unitSeconds: 60, incrementSeconds: 60 }] },
          ],
        },
      ],
    });
    expect(problemsOf(plan)).toEqual([
      { path: 'rates[0].tariffs', message: 'prefix 44: periods peak and all overlap on mon 08:00–18:00, tue 08:00–18:00, wed 08:00–18:00, thu 08:00–18:00, fri 08:00–18:00' },
    ]);
  });

  it('refuses the same prefix twice with the same effective date, and accepts two dates', () => {
    const rate = (effectiveFrom: string | null) => ({ prefix: '44', effectiveFrom, tariffs: [{ increments: [{ fromSecond: 0, rate: '0.1', unitSeconds: 60, incrementSeconds: 60 }] }] });
    expect(problemsOf(base({ rates: [rate('2026-01-01'), rate('2026-01-01')] }))).toEqual([
      { path: 'rates[1].prefix', message: 'prefix 44 effective from 2026-01-01 is already defined at rates[0]' },
    ]);
    expect(problemsOf(base({ rates: [rate(null), rate(null)] }))).toEqual([{ path: 'rates[1].prefix', message: 'prefix 44 without an effective-from date is already defined at rates[0]' }]);
    expect(() => parsePlan(base({ rates: [rate('2026-01-01'), rate('2026-07-01')] }))).not.toThrow();
  });

  it('refuses unknown currencies and time zones, bad prefixes and dates', () => {
    expect(problemsOf(base({ currency: 'EURO', timeZone: 'Mars/Olympus' }))).toEqual([
      { path: 'currency', message: '"EURO" is not an ISO 4217 currency code (e.g. EUR, USD, GBP)' },
      { path: 'timeZone', message: '"Mars/Olympus" is not an IANA time zone (e.g. Europe/London)' },
    ]);
    const withRate = (prefix: string, effectiveFrom: string | null) => base({ rates: [{ prefix, effectiveFrom, tariffs: [{ increments: [{ fromSecond: 0, rate: '0.1', unitSeconds: 60, incrementSeconds: 60 }] }] }] });
    expect(problemsOf(withRate('+44', null))).toEqual([{ path: 'rates[0].prefix', message: 'prefix "+44" must be 1–15 digits of an E.164 number (no leading 0 or +)' }]);
    expect(problemsOf(withRate('044', null))).toEqual([{ path: 'rates[0].prefix', message: 'prefix "044" must be 1–15 digits of an E.164 number (no leading 0 or +)' }]);
    expect(problemsOf(withRate('44', '2026-02-30'))).toEqual([{ path: 'rates[0].effectiveFrom', message: '"2026-02-30" is not a date (YYYY-MM-DD) or an ISO-8601 time with offset' }]);
    expect(problemsOf(base({ holidays: ['2026-13-01', '2026-12-25', '2026-12-25'] }))).toEqual([
      { path: 'holidays[0].date', message: '"2026-13-01" is not a date (YYYY-MM-DD)' },
      { path: 'holidays[2].date', message: 'holiday 2026-12-25 is listed twice' },
    ]);
  });

  it('refuses bad periods and tariffs naming undefined periods', () => {
    expect(problemsOf(base({ periods: [{ name: 'any', when: ['mon-sun'] }, { name: 'Peak', when: ['fri-mon', 'mon 18:00-08:00', 'tue 8:00-9:00'] }] }))).toEqual([
      { path: 'periods[1].name', message: 'period name "Peak" must be lower-case letters, digits, - or _' },
      { path: 'periods[1].when[0]', message: 'day range "fri-mon" in "fri-mon" runs backwards (write e.g. "sat,sun" or "fri-sun")' },
      { path: 'periods[1].when[1]', message: 'time range "18:00-08:00" in "mon 18:00-08:00" is empty or crosses midnight (split it in two windows: ..-24:00 and 00:00-..)' },
      { path: 'periods[1].when[2]', message: '"8:00-9:00" in "tue 8:00-9:00" is not a time range such as 08:00-18:00' },
    ]);
    expect(problemsOf(tariffWith({ period: 'peak' }))).toEqual([{ path: 'rates[0].tariffs[0].period', message: 'period "peak" is not defined (defined: any)' }]);
  });

  it('checks the maximum against the minimum, and owners against the kind', () => {
    expect(problemsOf(tariffWith({ minimumCharge: '1', maxCost: '0.5' }))).toEqual([{ path: 'rates[0].tariffs[0].maxCost', message: 'maxCost 0.5 is below minimumCharge 1' }]);
    expect(problemsOf(tariffWith({ maxCost: '0' }))).toEqual([{ path: 'rates[0].tariffs[0].maxCost', message: 'maxCost 0 would make every call free (leave it empty for no cap)' }]);
    expect(problemsOf(base({ kind: 'buy' }))).toEqual([{ path: 'carrier', message: 'a buy plan needs its carrier' }]);
    expect(problemsOf(base({ kind: 'buy', carrier: 'c', tenant: 't' }))).toEqual([{ path: 'tenant', message: 'a buy plan is for a carrier or trunks: it has no tenant' }]);
    expect(problemsOf(base({ carrier: 'c' }))).toEqual([{ path: 'carrier', message: 'a sell plan is for a tenant: it has no carrier or trunks' }]);
  });

  it('reports schema errors with their paths', () => {
    expect(problemsOf({ id: 'p', name: 'P', kind: 'rent', currency: 'EUR', rates: [], extra: 1 })).toEqual([
      { path: 'kind', message: expect.stringContaining('sell') },
      { path: '(plan)', message: expect.stringContaining('extra') },
    ]);
    expect(problemsOf(tariffWith({ decimals: 12 }))).toEqual([{ path: 'rates[0].tariffs[0].decimals', message: expect.stringContaining('9') }]);
  });
});

describe('decimals and windows', () => {
  it('parses and prints nano-units exactly', () => {
    expect(parseNano('0.1')).toBe(100_000_000);
    expect(parseNano('12.000000001')).toBe(12_000_000_001);
    expect(parseNano('-0.5')).toBe(-500_000_000);
    expect(parseNano('abc')).toBe('"abc" is not a decimal number');
    expect(parseNano('1.')).toBe('"1." is not a decimal number');
    expect(parseNano('.5')).toBe('".5" is not a decimal number');
    expect(parseNano('1000000')).toBe(1_000_000_000_000_000);
    expect(parseNano('9999999.999999999')).toBe('"9999999.999999999" is too large');
    expect(parseNano('0.000000001')).toBe(1);
    expect(nanoText(100_000_000, 2)).toBe('0.10');
    expect(nanoText(12_000_000_001)).toBe('12.000000001');
    expect(nanoText(0, 0)).toBe('0');
  });

  it('parses windows', () => {
    expect(parseWindow('mon-fri 08:00-18:00')).toEqual({ days: [0, 1, 2, 3, 4], holidays: false, from: 480, to: 1080 });
    expect(parseWindow('sat,sun')).toEqual({ days: [5, 6], holidays: false, from: 0, to: 1440 });
    expect(parseWindow('holidays 00:00-24:00')).toEqual({ days: [], holidays: true, from: 0, to: 1440 });
    expect(parseWindow('weekdays')).toBe('"weekdays" in "weekdays" is not a day or day range (mon … sun, e.g. mon-fri)');
  });
});
