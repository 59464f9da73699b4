import { describe, expect, it } from 'vitest';
import { CalltrailError } from '../core/errors.js';
import { HEADER, exportPlanCsv, importPlanCsv } from './csv.js';
import { parsePlan, type PlanProblem } from './plan.js';
import { rateCall } from './rate.js';

const H = HEADER.join(',');

const GOOD = [
  H,
  'plan,id,retail-2026',
  'plan,name,"Retail, 2026"',
  'plan,kind,sell',
  'plan,currency,GBP',
  'plan,time_zone,Europe/London',
  'plan,tenant,acme',
  'period,peak,mon-fri 08:00-18:00',
  'period,offpeak,mon-fri 00:00-08:00; mon-fri 18:00-24:00; sat-sun',
  'period,holiday,holidays',
  'holiday,2026-12-25,Christmas Day',
  'holiday,2026-12-26,',
  'rate,,,44,United Kingdom,2026-01-01,peak,0,0.10,60,60,0.05,0,,up,2',
  'rate,,,44,United Kingdom,2026-01-01,peak,60,0.10,60,1,0.05,0,,up,2',
  'rate,,,44,United Kingdom,2026-01-01,offpeak,0,0.02,60,1,0,0,,up,2',
  'rate,,,44,United Kingdom,2026-01-01,holiday,0,0.01,60,60,0,0,,up,2',
  'rate,,,447,"United Kingdom, mobile",,peak,0,0.20,60,60,0,0.25,5.00,half-even,4',
  'rate,,,447,"United Kingdom, mobile",,offpeak,0,0.15,60,60,0,0.25,5.00,half-even,4',
  '',
].join('\n');

function problemsOf(text: string): PlanProblem[] {
  try {
    importPlanCsv(text, 'plan.csv');
  } catch (err) {
    expect(err).toBeInstanceOf(CalltrailError);
    expect((err as CalltrailError).code).toBe('CONFIG_INVALID');
    return (err as CalltrailError).details as PlanProblem[];
  }
  throw new Error('the CSV was accepted');
}

/** GOOD with line `row` (1-based) replaced. */
function withRow(row: number, line: string): string {
  const lines = GOOD.split('\n');
  lines[row - 1] = line;
  return lines.join('\n');
}

describe('rate plan CSV', () => {
  it('imports a plan', () => {
    const plan = importPlanCsv(GOOD);
    expect(plan).toMatchObject({ id: 'retail-2026', name: 'Retail, 2026', kind: 'sell', currency: 'GBP', timeZone: 'Europe/London', tenant: 'acme', carrier: null });
    expect(plan.holidays).toEqual([
      { date: '2026-12-25', name: 'Christmas Day' },
      { date: '2026-12-26', name: null },
    ]);
    expect(plan.periods[1]).toEqual({ name: 'offpeak', when: ['mon-fri 00:00-08:00', 'mon-fri 18:00-24:00', 'sat-sun'] });
    expect(plan.rates).toHaveLength(2);
    expect(plan.rates[0]!.tariffs[0]).toEqual({
      period: 'peak',
      connectFee: '0.05',
      minimumCharge: '0',
      maxCost: null,
      rounding: 'up',
      decimals: 2,
      increments: [
        { fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 },
        { fromSecond: 60, rate: '0.10', unitSeconds: 60, incrementSeconds: 1 },
      ],
    });
    expect(plan.rates[1]).toMatchObject({ prefix: '447', destination: 'United Kingdom, mobile', effectiveFrom: null });
    // Mon 09:00 peak, 61 s on 44: 0.05 + 0.10 + 1 s × 0.10/60 = 0.151666… up → 0.16
    expect(rateCall(plan, { number: '442071234567', seconds: 61, at: '2026-03-02T09:00:00Z' })).toMatchObject({ cost: '0.16' });
    // Mon 09:00 peak, 10 s on 447: 1 × 60 s × 0.20/60 = 0.20 < minimum 0.25 → 0.2500
    expect(rateCall(plan, { number: '447911123456', seconds: 10, at: '2026-03-02T09:00:00Z' })).toMatchObject({ cost: '0.2500' });
  });

  it('round-trips: export of an import gives the same text, import of an export the same plan', () => {
    const plan = importPlanCsv(GOOD);
    expect(exportPlanCsv(plan)).toBe(GOOD);
    expect(importPlanCsv(exportPlanCsv(plan))).toEqual(plan);
  });

  it('round-trips a plan written in YAML form, with a buy plan carrier and trunks', () => {
    const plan = parsePlan({
      id: 'carrier-a',
      name: 'Carrier "A"',
      kind: 'buy',
      currency: 'USD',
      carrier: 'carrier-a',
      trunks: ['T1', 'T2'],
      rates: [{ prefix: '1', effectiveFrom: '2026-01-01T00:00:00-05:00', tariffs: [{ rounding: 'down', decimals: 6, maxCost: 10, increments: [{ fromSecond: 0, rate: 0.004, unitSeconds: 60, incrementSeconds: 6 }] }] }],
    });
    const text = exportPlanCsv(plan);
    expect(text).toContain('plan,trunks,T1;T2\n');
    expect(text).toContain('plan,name,"Carrier ""A"""\n');
    expect(importPlanCsv(text)).toEqual(plan);
  });

  it('names the row of each bad value', () => {
    expect(problemsOf(withRow(13, 'rate,,,44,United Kingdom,2026-01-01,peak,0,-0.1,60,60,0.05,0,,up,2'))).toEqual([{ path: 'row 13', message: 'rate "-0.1" is negative' }]);
    expect(problemsOf(withRow(15, 'rate,,,44,United Kingdom,2026-01-01,offpeak,0,abc,60,1,0,0,,up,2'))).toEqual([{ path: 'row 15', message: 'rate "abc" is not a decimal number' }]);
    expect(problemsOf(withRow(15, 'rate,,,44,United Kingdom,2026-01-01,offpeak,0,25,1,1,0,0,,up,2'))).toEqual([{ path: 'row 15', message: 'rate "25" per 1 s is absurd (more than 1000 per minute)' }]);
    expect(problemsOf(withRow(15, 'rate,,,44,United Kingdom,2026-01-01,offpeak,x,0.02,60,0,0,0,,sideways,10'))).toEqual([
      { path: 'row 15', message: 'from_second "x" is not a whole number' },
      { path: 'row 15', message: 'decimals "10" is not a whole number from 0 to 9' },
      { path: 'row 15', message: 'increment_seconds must be at least 1' },
      { path: 'row 15', message: 'rounding "sideways" is not one of up, down, half-up, half-even' },
    ]);
    expect(problemsOf(withRow(13, 'rate,,,44,United Kingdom,2026-01-01,peak,0,0.10,60,60,-0.05,0,,up,2'))).toEqual([
      // row 14 repeats the tariff with connect fee 0.05; rows are checked before values, so this comes first
      { path: 'row 14', message: 'connect_fee differs from row 13 (the same prefix 44, period peak, effective 2026-01-01)' },
    ]);
  });

  it('checks values once the rows fit together', () => {
    expect(problemsOf(withRow(14, 'rate,,,44,United Kingdom,2026-01-01,peak,60,0.10,60,1,-0.05,0,,up,2').replace('peak,0,0.10,60,60,0.05', 'peak,0,0.10,60,60,-0.05'))).toEqual([
      { path: 'row 13', message: 'connect_fee "-0.05" is negative' },
    ]);
  });

  it('names rows that do not fit together', () => {
    expect(problemsOf(withRow(14, 'rate,,,44,United Kingdom,2026-01-01,peak,0,0.10,60,1,0.05,0,,up,2'))).toEqual([
      { path: 'row 14', message: 'prefix 44, period peak, effective 2026-01-01, interval from 0 s is already defined at row 13' },
    ]);
    expect(problemsOf(withRow(14, 'rate,,,44,UK,2026-01-01,peak,60,0.10,60,1,0.05,0,,up,2'))).toEqual([
      { path: 'row 14', message: 'destination "UK" differs from "United Kingdom" at row 13 for prefix 44' },
    ]);
    expect(problemsOf(withRow(14, 'rate,,,44,United Kingdom,2026-01-01,peak,60,0.10,60,1,0.05,0,,down,2'))).toEqual([
      { path: 'row 14', message: 'rounding differs from row 13 (the same prefix 44, period peak, effective 2026-01-01)' },
    ]);
    // Without the off-peak row, prefix 44 has no rate on weekday nights and weekends
    expect(problemsOf(withRow(15, ''))).toEqual([
      {
        path: 'row 13',
        message:
          'prefix 44 has no rate for mon 00:00–08:00, mon 18:00–24:00, tue 00:00–08:00, tue 18:00–24:00, wed 00:00–08:00, wed 18:00–24:00, thu 00:00–08:00, thu 18:00–24:00, fri 00:00–08:00, fri 18:00–24:00, sat 00:00–24:00, sun 00:00–24:00 (periods peak, holiday leave a gap)',
      },
    ]);
    // An interval that does not start at 0
    expect(problemsOf(withRow(16, 'rate,,,44,United Kingdom,2026-01-01,holiday,30,0.01,60,60,0,0,,up,2'))).toEqual([
      { path: 'row 16', message: 'the first interval starts at 30 s; it must start at 0' },
    ]);
  });

  it('names bad plan, period and holiday rows', () => {
    expect(problemsOf(withRow(5, 'plan,currency,EURO'))).toEqual([{ path: 'row 5', message: '"EURO" is not an ISO 4217 currency code (e.g. EUR, USD, GBP)' }]);
    expect(problemsOf(withRow(6, 'plan,time_zone,Europe/Londres'))).toEqual([{ path: 'row 6', message: '"Europe/Londres" is not an IANA time zone (e.g. Europe/London)' }]);
    expect(problemsOf(withRow(8, 'period,peak,mon-fri 08:00-19:00'))).toEqual([
      { path: 'row 13', message: 'prefix 44: periods peak and offpeak overlap on mon 18:00–19:00, tue 18:00–19:00, wed 18:00–19:00, thu 18:00–19:00, fri 18:00–19:00' },
      { path: 'row 17', message: 'prefix 447: periods peak and offpeak overlap on mon 18:00–19:00, tue 18:00–19:00, wed 18:00–19:00, thu 18:00–19:00, fri 18:00–19:00' },
    ]);
    expect(problemsOf(withRow(11, 'holiday,2026-12-32,Boxing Day'))).toEqual([{ path: 'row 11', message: '"2026-12-32" is not a date (YYYY-MM-DD)' }]);
    expect(problemsOf(withRow(4, 'plan,kind,rent'))).toEqual([{ path: 'row 4', message: 'kind "rent" is not sell or buy' }]);
    expect(problemsOf(withRow(4, 'plan,colour,blue'))).toEqual([
      { path: 'row 4', message: 'unknown plan field "colour" (known: id, name, kind, currency, time_zone, tenant, carrier, trunks)' },
      { path: '(plan)', message: 'no "plan,kind,…" row' },
    ]);
  });

  it('names malformed rows', () => {
    expect(problemsOf(withRow(13, 'rate,,,44,United Kingdom,2026-01-01,peak,0,0.10'))).toEqual([
      { path: 'row 13', message: 'a rate row has 16 columns; this one has 9' },
    ]);
    expect(problemsOf(withRow(12, 'discount,,,44'))).toEqual([{ path: 'row 12', message: 'unknown row type "discount" (plan, period, holiday or rate)' }]);
    expect(problemsOf(withRow(12, 'holiday,"2026-12-26,'))).toEqual([{ path: 'row 12', message: 'unbalanced quote in field 2' }]);
    expect(problemsOf(withRow(12, 'holiday,2026-12-26,,44'))).toEqual([{ path: 'row 12', message: 'a holiday row has only a name and a value; the rate columns must be empty' }]);
    expect(problemsOf(withRow(1, 'prefix,rate'))).toEqual([{ path: 'row 1', message: `the header must be: ${H}` }]);
    expect(problemsOf('')).toEqual([{ path: 'row 1', message: `the header must be: ${H}` }]);
  });

  it('accepts CR LF line ends and a byte-order mark', () => {
    expect(importPlanCsv('\uFEFF' + GOOD.replace(/\n/g, '\r\n'))).toEqual(importPlanCsv(GOOD));
  });
});
