import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEADER } from '../src/rating/csv.js';
import { runCli } from './support/cli.js';

// `calltrail rate` on plans written as YAML and as CSV (runs the built command: npm run build first).

const dir = mkdtempSync(join(tmpdir(), 'calltrail-rate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yamlPlan = join(dir, 'retail.yaml');
writeFileSync(
  yamlPlan,
  `id: retail
name: Retail
kind: sell
currency: GBP
timeZone: Europe/London
periods:
  - { name: peak, when: ["mon-fri 08:00-18:00"] }
  - { name: offpeak, when: ["mon-fri 00:00-08:00", "mon-fri 18:00-24:00", "sat,sun"] }
rates:
  - prefix: "44"
    destination: United Kingdom
    tariffs:
      - period: peak
        connectFee: 0.05
        rounding: up
        decimals: 2
        increments:
          - { fromSecond: 0, rate: 0.10, unitSeconds: 60, incrementSeconds: 60 }
          - { fromSecond: 60, rate: 0.10, unitSeconds: 60, incrementSeconds: 1 }
      - period: offpeak
        rounding: up
        decimals: 2
        increments:
          - { fromSecond: 0, rate: 0.02, unitSeconds: 60, incrementSeconds: 1 }
`,
);

const csvPlan = join(dir, 'carrier.csv');
writeFileSync(
  csvPlan,
  [
    HEADER.join(','),
    'plan,id,carrier-a',
    'plan,name,Carrier A',
    'plan,kind,buy',
    'plan,currency,EUR',
    'plan,carrier,carrier-a',
    'period,any,mon-sun',
    'rate,,,447,UK mobile,,any,0,0.0300,60,6,0,0,,half-up,4',
    '',
  ].join('\n'),
);

describe('calltrail rate', () => {
  it('prints the cost of a call crossing peak → off-peak', async () => {
    // Mon 2 March 2026, 17:59:00 London (GMT): 0–60 s peak (0.10), 60–125 s off-peak per second
    // 65 × 0.02/60 = 0.021666…; + connect fee 0.05 = 0.171666… → up to 2 decimals = 0.18
    const r = await runCli(['rate', '--plan', yamlPlan, '--number', '+44 20 7123 4567', '--seconds', '125', '--at', '2026-03-02T17:59:00Z']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      number: '442071234567',
      seconds: 125,
      at: '2026-03-02T17:59:00Z',
      rated: true,
      planId: 'retail',
      cost: '0.18',
      amount: 0.18,
      currency: 'GBP',
      prefix: '44',
      destination: 'United Kingdom',
      period: 'peak',
      effectiveFrom: null,
      billedSeconds: 125,
    });
  });

  it('explains the computation with --explain', async () => {
    const r = await runCli(['rate', '--plan', yamlPlan, '--number', '442071234567', '--seconds', '125', '--at', '2026-03-02T17:59:00Z', '--explain']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps).toEqual([
      'prefix 44 (United Kingdom) matched 442071234567',
      'period peak at the start of the call (Europe/London)',
      'connect fee 0.05',
      '0–60 s (peak): 1 × 60 s at 0.1/60 s = 0.10',
      '60–125 s (offpeak): 65 × 1 s at 0.02/60 s ≈ 0.021666666',
      'subtotal ≈ 0.171666666 rounded up to 2 decimals = 0.18',
      'total 0.18 GBP',
    ]);
  });

  it('rates on a CSV plan', async () => {
    // 61 s in 6 s steps = 66 s × 0.0300/60 = 0.0330
    const r = await runCli(['rate', '--plan', csvPlan, '--number', '447911123456', '--seconds', '61', '--at', '2026-03-02T09:00:00+01:00']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rated: true, planId: 'carrier-a', cost: '0.0330', currency: 'EUR', prefix: '447', billedSeconds: 66 });
  });

  it('exits 1 with the reason when the plan has no rate for the number', async () => {
    const r = await runCli(['rate', '--plan', csvPlan, '--number', '33142685300', '--seconds', '60', '--at', '2026-03-02T09:00:00Z']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ number: '33142685300', seconds: 60, at: '2026-03-02T09:00:00Z', rated: false, planId: 'carrier-a', reason: 'no rate for 33142685300 in plan carrier-a' });
  });

  it('refuses bad arguments with exit 2', async () => {
    const base = ['rate', '--plan', yamlPlan, '--number', '4420', '--seconds', '60', '--at', '2026-03-02T09:00:00Z'];
    const cases: [string[], string][] = [
      [base.map((a) => (a === '4420' ? '44-abc' : a)), 'calltrail: --number: "44-abc" is not a phone number (E.164 digits, e.g. 447911123456)\n'],
      [base.map((a) => (a === '60' ? '-5' : a)), 'calltrail: --seconds: "-5" is not a whole number of seconds\n'],
      [base.map((a) => (a === '2026-03-02T09:00:00Z' ? '2026-03-02 09:00' : a)), 'calltrail: --at: "2026-03-02 09:00" is not an ISO-8601 time with offset (e.g. 2026-03-02T09:00:00+00:00)\n'],
    ];
    const [missing, ...results] = await Promise.all([runCli(['rate', '--plan', yamlPlan]), ...cases.map(([args]) => runCli(args))]);
    results.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(cases[i]![1]);
      expect(r.stdout).toBe('');
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--number <digits>' not specified");
  });

  it('lists the problems of a bad plan file with row numbers', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      [
        HEADER.join(','),
        'plan,id,bad',
        'plan,name,Bad',
        'plan,kind,sell',
        'plan,currency,EUR',
        'period,any,mon-sun',
        'rate,,,44,UK,,any,0,-0.1,60,60,0,0,,up,2',
        'rate,,,33,France,,any,0,5000,60,60,0,0,,up,2',
      ].join('\n'),
    );
    const r = await runCli(['rate', '--plan', bad, '--number', '4420', '--seconds', '60', '--at', '2026-03-02T09:00:00Z']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `calltrail: rate plan ${bad} is invalid (2 problems)\n` + '  row 7: rate "-0.1" is negative\n' + '  row 8: rate "5000" per 60 s is absurd (more than 1000 per minute)\n',
    );
  });

  it('says when the plan file does not exist', async () => {
    const r = await runCli(['rate', '--plan', join(dir, 'nope.yaml'), '--number', '4420', '--seconds', '60', '--at', '2026-03-02T09:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`calltrail: rate plan ${join(dir, 'nope.yaml')} does not exist\n`);
  });
});
