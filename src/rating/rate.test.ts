import { describe, expect, it } from 'vitest';
import { parsePlan, type RatePlan, type RatePlanInput } from './plan.js';
import { rateCall, type RateResult } from './rate.js';

// Worked examples: every expected cost is computed by hand in the comment beside it.

type TariffInput = RatePlanInput['rates'][number]['tariffs'][number];

const MONDAY_NOON = '2026-03-02T12:00:00Z'; // 2026-03-02 is a Monday

function onePrefix(tariff: Partial<TariffInput>, plan: Partial<RatePlanInput> = {}): RatePlan {
  return parsePlan({
    id: 'test',
    name: 'Test',
    kind: 'sell',
    currency: 'EUR',
    rates: [{ prefix: '44', destination: 'United Kingdom', tariffs: [{ increments: [{ fromSecond: 0, rate: '0.60', unitSeconds: 60, incrementSeconds: 60 }], ...tariff }] }],
    ...plan,
  });
}

function cost(plan: RatePlan, seconds: number, at: string | number = MONDAY_NOON, number = '442071234567'): string {
  const r = rateCall(plan, { number, seconds, at });
  if (!r.rated) throw new Error(r.reason);
  return r.cost;
}

const perSecond = (rate: string): TariffInput['increments'] => [{ fromSecond: 0, rate, unitSeconds: 60, incrementSeconds: 1 }];

describe('billing increments', () => {
  it('per-minute billing (60/60)', () => {
    const plan = onePrefix({ decimals: 2 });
    expect(cost(plan, 1)).toBe('0.60'); // ceil(1/60) = 1 minute × 0.60 = 0.60
    expect(cost(plan, 60)).toBe('0.60'); // 1 × 0.60
    expect(cost(plan, 61)).toBe('1.20'); // ceil(61/60) = 2 × 0.60 = 1.20
  });

  it('per-second billing (1/1), with the rate per second or per minute', () => {
    const perMinuteRate = onePrefix({ decimals: 2, increments: perSecond('0.60') });
    expect(cost(perMinuteRate, 61)).toBe('0.61'); // 61 s × 0.60/60 = 61 × 0.01 = 0.61
    const perSecondRate = onePrefix({ decimals: 2, increments: [{ fromSecond: 0, rate: '0.01', unitSeconds: 1, incrementSeconds: 1 }] });
    expect(cost(perSecondRate, 61)).toBe('0.61'); // 61 × 0.01 = 0.61
  });

  it('60/6: a first minute, then 6-second steps', () => {
    const plan = onePrefix({
      decimals: 2,
      increments: [
        { fromSecond: 0, rate: '0.30', unitSeconds: 60, incrementSeconds: 60 },
        { fromSecond: 60, rate: '0.30', unitSeconds: 60, incrementSeconds: 6 },
      ],
    });
    expect(cost(plan, 5)).toBe('0.30'); // 1 × 60 s at 0.30/60 = 0.30
    expect(cost(plan, 61)).toBe('0.33'); // 0.30 + 1 × 6 s × 0.005/s = 0.30 + 0.03 = 0.33
    expect(cost(plan, 125)).toBe('0.63'); // 0.30 + ceil(65/6) = 11 × 6 = 66 s × 0.005 = 0.33 → 0.63
  });

  it('30/6: a first half minute, then 6-second steps', () => {
    const plan = onePrefix({
      decimals: 2,
      increments: [
        { fromSecond: 0, rate: '0.30', unitSeconds: 60, incrementSeconds: 30 },
        { fromSecond: 30, rate: '0.30', unitSeconds: 60, incrementSeconds: 6 },
      ],
    });
    expect(cost(plan, 10)).toBe('0.15'); // 30 s × 0.005 = 0.15
    expect(cost(plan, 31)).toBe('0.18'); // 0.15 + 6 s × 0.005 = 0.15 + 0.03 = 0.18
    expect(cost(plan, 90)).toBe('0.45'); // 0.15 + 60 s (10 × 6) × 0.005 = 0.15 + 0.30 = 0.45
  });

  it('first 60 s in 60 s steps then 1 s steps, and a cheaper rate from the second minute', () => {
    const plan = onePrefix({
      decimals: 4,
      rounding: 'half-up',
      increments: [
        { fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 },
        { fromSecond: 60, rate: '0.06', unitSeconds: 60, incrementSeconds: 1 },
      ],
    });
    expect(cost(plan, 1)).toBe('0.1000'); // 1 × 60 s at 0.10/60 = 0.10
    expect(cost(plan, 61)).toBe('0.1010'); // 0.10 + 1 s × 0.06/60 (0.001) = 0.1010
    expect(cost(plan, 67)).toBe('0.1070'); // 0.10 + 7 × 0.001 = 0.1070
    // 0.10 + 1 s at 0.10/60 = 0.1016666… → half-up to 4 decimals = 0.1017
    const same = onePrefix({ decimals: 4, increments: [{ fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 }, { fromSecond: 60, rate: '0.10', unitSeconds: 60, incrementSeconds: 1 }] });
    expect(cost(same, 61)).toBe('0.1017');
  });

  it('an increment that overshoots the next interval is charged whole at its own rate', () => {
    // 0–45 s in 30 s steps (0.60/60), from 45 s per second at 0.06/60
    const plan = onePrefix({
      decimals: 3,
      increments: [
        { fromSecond: 0, rate: '0.60', unitSeconds: 60, incrementSeconds: 30 },
        { fromSecond: 45, rate: '0.06', unitSeconds: 60, incrementSeconds: 1 },
      ],
    });
    // steps start at 0 and 30 (both < 45) → 60 s at 0.01/s = 0.60; then 60…70 s: 10 s × 0.001 = 0.010 → 0.610
    expect(cost(plan, 70)).toBe('0.610');
  });
});

describe('fees, minimum and maximum', () => {
  it('adds the connect fee once', () => {
    const plan = onePrefix({ decimals: 2, connectFee: '0.05', increments: perSecond('0.60') });
    expect(cost(plan, 30)).toBe('0.35'); // 0.05 + 30 × 0.01 = 0.35
  });

  it('raises a cheap call to the minimum charge', () => {
    const plan = onePrefix({ decimals: 2, minimumCharge: '0.50', increments: perSecond('0.60') });
    expect(cost(plan, 10)).toBe('0.50'); // 10 × 0.01 = 0.10 < 0.50 → 0.50
    expect(cost(plan, 70)).toBe('0.70'); // 70 × 0.01 = 0.70 ≥ 0.50
  });

  it('caps a long call at the maximum cost', () => {
    const plan = onePrefix({ decimals: 2, connectFee: '0.05', maxCost: '1.00', increments: perSecond('0.60') });
    expect(cost(plan, 3600)).toBe('1.00'); // 0.05 + 3600 × 0.01 = 36.05 > 1.00 → 1.00
    expect(cost(plan, 90)).toBe('0.95'); // 0.05 + 0.90 = 0.95 ≤ 1.00
  });

  it('charges nothing for a zero-second call: no connect fee, no minimum', () => {
    // Unanswered calls are not billed by carriers; a 0-second CDR is one of them.
    const plan = onePrefix({ decimals: 2, connectFee: '0.05', minimumCharge: '0.50' });
    const r = rateCall(plan, { number: '442071234567', seconds: 0, at: MONDAY_NOON });
    expect(r).toMatchObject({ rated: true, cost: '0.00', amount: 0, billedSeconds: 0, prefix: '44' });
  });
});

describe('rounding', () => {
  // 7 s at 0.01 per 60 s, billed per second = 7 × 0.01/60 = 0.0011666…
  const sevenSeconds = (rounding: TariffInput['rounding'], decimals: number): string =>
    cost(onePrefix({ rounding, decimals, increments: perSecond('0.01') }), 7);

  it('rounds up, down and half-up at 2 decimals', () => {
    expect(sevenSeconds('up', 2)).toBe('0.01'); // 0.00116… up → 0.01
    expect(sevenSeconds('down', 2)).toBe('0.00'); // 0.00116… down → 0.00
    expect(sevenSeconds('half-up', 2)).toBe('0.00'); // 0.00116… < 0.005 → 0.00
  });

  it('rounds up, down and half-up at 4 decimals', () => {
    expect(sevenSeconds('up', 4)).toBe('0.0012'); // 0.0011666… up → 0.0012
    expect(sevenSeconds('down', 4)).toBe('0.0011'); // 0.0011666… down → 0.0011
    expect(sevenSeconds('half-up', 4)).toBe('0.0012'); // 0.00116|66 ≥ half → 0.0012
  });

  it('breaks exact ties: half-up away from zero, half-even to the even digit', () => {
    const tie = (rounding: TariffInput['rounding'], decimals: number, rate: string, seconds: number): string =>
      cost(onePrefix({ rounding, decimals, increments: [{ fromSecond: 0, rate, unitSeconds: 1, incrementSeconds: 1 }] }), seconds);
    expect(tie('half-up', 2, '0.005', 1)).toBe('0.01'); // 0.005 → 0.01
    expect(tie('half-even', 2, '0.005', 1)).toBe('0.00'); // 0.005 → 0.00 (0 is even)
    expect(tie('half-even', 2, '0.005', 3)).toBe('0.02'); // 0.015 → 0.02 (2 is even)
    expect(tie('half-up', 4, '0.00005', 1)).toBe('0.0001'); // 0.00005 → 0.0001
    expect(tie('half-even', 4, '0.00005', 1)).toBe('0.0000'); // 0.00005 → 0.0000
    expect(tie('up', 4, '0.00005', 1)).toBe('0.0001'); // 0.00005 up → 0.0001
    expect(tie('down', 4, '0.00005', 3)).toBe('0.0001'); // 0.00015 down → 0.0001
  });

  it('is exact where floats drift', () => {
    // 0.1 + 0.2 in floats is 0.30000000000000004; here 1 s at 0.1/s + 2 s at 0.1/s (3 × 0.1) = 0.3 exactly at 9 decimals
    const plan = onePrefix({ rounding: 'up', decimals: 9, increments: [{ fromSecond: 0, rate: '0.1', unitSeconds: 1, incrementSeconds: 1 }] });
    expect(cost(plan, 3)).toBe('0.300000000');
  });

  it('rates huge totals with bigint: 1,000,000 s at 16.666666666 per second', () => {
    // 16.666666666 × 1,000,000 = 16,666,666.666 → half-up to 2 decimals = 16666666.67 (N passes 2⁵³)
    const plan = onePrefix({ decimals: 2, increments: [{ fromSecond: 0, rate: '16.666666666', unitSeconds: 1, incrementSeconds: 1 }] });
    expect(cost(plan, 1_000_000)).toBe('16666666.67');
  });
});

const WEEK_PERIODS: RatePlanInput['periods'] = [
  { name: 'peak', when: ['mon-fri 08:00-18:00'] },
  { name: 'offpeak', when: ['mon-fri 00:00-08:00', 'mon-fri 18:00-24:00'] },
  { name: 'weekend', when: ['sat,sun'] },
  { name: 'holiday', when: ['holidays'] },
];
const perMinute = (rate: string): TariffInput['increments'] => [{ fromSecond: 0, rate, unitSeconds: 60, incrementSeconds: 60 }];

function weekPlan(): RatePlan {
  return parsePlan({
    id: 'week',
    name: 'Week',
    kind: 'sell',
    currency: 'GBP',
    timeZone: 'Europe/London',
    holidays: [{ date: '2026-12-25', name: 'Christmas Day' }],
    periods: WEEK_PERIODS,
    rates: [
      {
        prefix: '44',
        tariffs: [
          { period: 'peak', decimals: 2, increments: perMinute('0.12') },
          { period: 'offpeak', decimals: 2, increments: perMinute('0.06') },
          { period: 'weekend', decimals: 2, increments: perMinute('0.02') },
          { period: 'holiday', decimals: 2, increments: perMinute('0.01') },
        ],
      },
    ],
  });
}

describe('periods', () => {
  const plan = weekPlan();

  it('charges each increment at the period in force when it starts (peak → off-peak)', () => {
    // Mon 17:58:30 London (GMT in March), 150 s in 60 s steps: starts 17:58:30 peak, 17:59:30 peak,
    // 18:00:30 off-peak → 0.12 + 0.12 + 0.06 = 0.30
    expect(cost(plan, 150, '2026-03-02T17:58:30Z')).toBe('0.30');
    // The same local time in summer (BST, UTC+1): 16:58:30Z is 17:58:30 in London → 0.30
    expect(cost(plan, 150, '2026-07-06T16:58:30Z')).toBe('0.30');
    // One hour earlier in UTC in summer is 16:58:30 local: all peak → 3 × 0.12 = 0.36
    expect(cost(plan, 150, '2026-07-06T15:58:30Z')).toBe('0.36');
  });

  it('explains a call that crosses a period boundary', () => {
    const r = rateCall(plan, { number: '442071234567', seconds: 150, at: '2026-03-02T17:58:30Z' }, { explain: true });
    expect(r).toMatchObject({ rated: true, period: 'peak', billedSeconds: 180, currency: 'GBP' });
    expect((r as Extract<RateResult, { rated: true }>).steps).toEqual([
      'prefix 44 matched 442071234567',
      'period peak at the start of the call (Europe/London)',
      '0–120 s (peak): 2 × 60 s at 0.12/60 s = 0.24',
      '120–180 s (offpeak): 1 × 60 s at 0.06/60 s = 0.06',
      'subtotal 0.30 rounded half up to 2 decimals = 0.30',
      'total 0.30 GBP',
    ]);
  });

  it('reads periods on local time across a clock change', () => {
    const nights = parsePlan({
      id: 'dst',
      name: 'DST',
      kind: 'sell',
      currency: 'GBP',
      timeZone: 'Europe/London',
      periods: [
        { name: 'night', when: ['mon-sun 00:00-02:00'] },
        { name: 'day', when: ['mon-sun 02:00-24:00'] },
      ],
      rates: [{ prefix: '44', tariffs: [{ period: 'night', decimals: 2, increments: perMinute('0.01') }, { period: 'day', decimals: 2, increments: perMinute('0.10') }] }],
    });
    // Sun 29 March 2026: 00:59 GMT is night; 60 s later, 01:00 UTC, the clocks read 02:00 BST: day
    // → 0.01 + 0.10 = 0.11
    expect(cost(nights, 120, '2026-03-29T00:59:00Z')).toBe('0.11');
  });

  it('uses the weekend rate on Saturday and Sunday', () => {
    expect(cost(plan, 60, '2026-03-07T12:00:00Z')).toBe('0.02'); // Saturday: 1 × 0.02
    expect(cost(plan, 60, '2026-03-08T23:59:00Z')).toBe('0.02'); // Sunday 23:59: 1 × 0.02
    // Sunday 23:59:30 for 90 s: 23:59:30 weekend (0.02), 00:00:30 Monday off-peak (0.06) = 0.08
    expect(cost(plan, 90, '2026-03-08T23:59:30Z')).toBe('0.08');
  });

  it('uses the holiday rate on a listed holiday, and the weekday rate the day before', () => {
    expect(cost(plan, 60, '2026-12-25T10:00:00Z')).toBe('0.01'); // Friday, Christmas Day: holiday 0.01
    expect(cost(plan, 60, '2026-12-24T10:00:00Z')).toBe('0.12'); // Thursday: peak 0.12
    // Thursday 23:59 local for 120 s: 23:59 off-peak 0.06, 00:00 Christmas holiday 0.01 = 0.07
    expect(cost(plan, 120, '2026-12-24T23:59:00Z')).toBe('0.07');
  });

  it('falls back to the weekday periods on a holiday when the prefix has no holiday tariff', () => {
    const p = parsePlan({
      id: 'x',
      name: 'X',
      kind: 'sell',
      currency: 'GBP',
      holidays: ['2026-12-25'],
      periods: WEEK_PERIODS,
      rates: [{ prefix: '44', tariffs: [{ period: 'peak', decimals: 2, increments: perMinute('0.12') }, { period: 'offpeak', decimals: 2, increments: perMinute('0.06') }, { period: 'weekend', decimals: 2, increments: perMinute('0.02') }] }],
    });
    expect(cost(p, 60, '2026-12-25T10:00:00Z')).toBe('0.12'); // Friday 10:00, no holiday tariff → peak 0.12
  });
});

describe('effective dates and prefixes', () => {
  const versions = parsePlan({
    id: 'v',
    name: 'Versions',
    kind: 'sell',
    currency: 'EUR',
    timeZone: 'Europe/London',
    rates: [
      { prefix: '44', effectiveFrom: '2026-01-01', tariffs: [{ decimals: 2, increments: perMinute('0.10') }] },
      { prefix: '44', effectiveFrom: '2026-07-01', tariffs: [{ decimals: 2, increments: perMinute('0.08') }] },
    ],
  });

  it('chooses the newest version in effect when the call starts (local midnight of the date)', () => {
    expect(cost(versions, 60, '2026-06-30T23:59:59+01:00')).toBe('0.10'); // June 30 local: first version, 1 × 0.10
    expect(cost(versions, 60, '2026-07-01T00:00:00+01:00')).toBe('0.08'); // July 1 local midnight: 1 × 0.08
    expect(cost(versions, 60, '2026-06-30T23:30:00Z')).toBe('0.08'); // 00:30 BST on July 1: 0.08
    const before = rateCall(versions, { number: '4420', seconds: 60, at: '2025-12-31T12:00:00Z' });
    expect(before).toEqual({ rated: false, planId: 'v', reason: 'prefix 44 has no rate effective at 2025-12-31T12:00:00Z (first from 2026-01-01)' });
  });

  it('matches the longest prefix: 44 vs 447 vs 4479', () => {
    const plan = parsePlan({
      id: 'lpm',
      name: 'LPM',
      kind: 'sell',
      currency: 'EUR',
      rates: [
        { prefix: '44', destination: 'UK', tariffs: [{ decimals: 2, increments: perMinute('0.10') }] },
        { prefix: '447', destination: 'UK mobile', tariffs: [{ decimals: 2, increments: perMinute('0.20') }] },
        { prefix: '4479', destination: 'UK mobile 79', tariffs: [{ decimals: 2, increments: perMinute('0.30') }] },
      ],
    });
    expect(rateCall(plan, { number: '442071234567', seconds: 60, at: MONDAY_NOON })).toMatchObject({ prefix: '44', destination: 'UK', cost: '0.10' });
    expect(rateCall(plan, { number: '447511123456', seconds: 60, at: MONDAY_NOON })).toMatchObject({ prefix: '447', destination: 'UK mobile', cost: '0.20' });
    expect(rateCall(plan, { number: '447911123456', seconds: 60, at: MONDAY_NOON })).toMatchObject({ prefix: '4479', destination: 'UK mobile 79', cost: '0.30' });
    expect(rateCall(plan, { number: '4479', seconds: 60, at: MONDAY_NOON })).toMatchObject({ prefix: '4479', cost: '0.30' });
    expect(rateCall(plan, { number: '4', seconds: 60, at: MONDAY_NOON })).toEqual({ rated: false, planId: 'lpm', reason: 'no rate for 4 in plan lpm' });
    expect(rateCall(plan, { number: '33142685300', seconds: 60, at: MONDAY_NOON })).toEqual({ rated: false, planId: 'lpm', reason: 'no rate for 33142685300 in plan lpm' });
  });
});

describe('bad call data is unrated with a reason, never a crash', () => {
  const plan = onePrefix({});
  it.each([
    [{ number: '44x2071234567', seconds: 60, at: MONDAY_NOON }, 'number "44x2071234567" is not all digits (E.164 without +)'],
    [{ number: '+442071234567', seconds: 60, at: MONDAY_NOON }, 'number "+442071234567" is not all digits (E.164 without +)'],
    [{ number: '', seconds: 60, at: MONDAY_NOON }, 'no number'],
    [{ number: '4420', seconds: -1, at: MONDAY_NOON }, 'seconds -1 is not a whole number ≥ 0'],
    [{ number: '4420', seconds: 1.5, at: MONDAY_NOON }, 'seconds 1.5 is not a whole number ≥ 0'],
    [{ number: '4420', seconds: 40_000_000, at: MONDAY_NOON }, 'seconds 40000000 is more than a year: not a call to rate'],
    [{ number: '4420', seconds: 60, at: '2026-03-02 12:00:00' }, '"2026-03-02 12:00:00" is not an ISO-8601 time with offset or epoch milliseconds'],
    [{ number: '4420', seconds: 60, at: '2026-03-02T12:00:00' }, '"2026-03-02T12:00:00" is not an ISO-8601 time with offset or epoch milliseconds'],
  ])('%j', (input, reason) => {
    expect(rateCall(plan, input)).toEqual({ rated: false, planId: 'test', reason });
  });

  it('takes epoch milliseconds as well as ISO text', () => {
    expect(cost(plan, 60, Date.parse(MONDAY_NOON))).toBe('0.6000'); // default 4 decimals: 1 × 0.60
  });
});
