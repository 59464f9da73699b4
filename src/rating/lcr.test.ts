import { describe, expect, it } from 'vitest';
import { CalltrailError } from '../core/errors.js';
import { leastCost, margin } from './lcr.js';
import { parsePlan, type RatePlan } from './plan.js';
import { rateCall } from './rate.js';

const AT = '2026-03-02T12:00:00Z';

function carrier(id: string, rates: Record<string, string>, currency = 'EUR'): RatePlan {
  return parsePlan({
    id,
    name: id,
    kind: 'buy',
    currency,
    carrier: id,
    rates: Object.entries(rates).map(([prefix, rate]) => ({ prefix, tariffs: [{ decimals: 4, increments: [{ fromSecond: 0, rate, unitSeconds: 60, incrementSeconds: 1 }] }] })),
  });
}

const a = carrier('carrier-a', { '44': '0.012', '447': '0.030' });
const b = carrier('carrier-b', { '44': '0.010', '4479': '0.040' });
const c = carrier('carrier-c', { '33': '0.005', '447': '0.025' });

describe('least-cost carrier', () => {
  it('ranks the carriers that rate a call by cost', () => {
    // 120 s to 442071234567: a 2 × 0.012 = 0.0240, b 2 × 0.010 = 0.0200; c has no 44
    const r = leastCost([a, b, c], { number: '442071234567', seconds: 120, at: AT });
    expect(r.best).toMatchObject({ planId: 'carrier-b', carrier: 'carrier-b', result: { cost: '0.0200' } });
    expect(r.quotes.map((q) => [q.planId, q.result.cost])).toEqual([
      ['carrier-b', '0.0200'],
      ['carrier-a', '0.0240'],
    ]);
    expect(r.unrated).toEqual([{ planId: 'carrier-c', reason: 'no rate for 442071234567 in plan carrier-c' }]);
  });

  it('compares each carrier on its own longest prefix', () => {
    // 60 s to 447911123456: a (447) 0.0300, b (4479) 0.0400, c (447) 0.0250
    const r = leastCost([a, b, c], { number: '447911123456', seconds: 60, at: AT });
    expect(r.quotes.map((q) => [q.planId, q.result.prefix, q.result.cost])).toEqual([
      ['carrier-c', '447', '0.0250'],
      ['carrier-a', '447', '0.0300'],
      ['carrier-b', '4479', '0.0400'],
    ]);
  });

  it('keeps the given order on a tie, and answers null when no carrier rates the call', () => {
    const twin = carrier('carrier-twin', { '44': '0.010' });
    expect(leastCost([twin, b], { number: '4420', seconds: 60, at: AT }).best?.planId).toBe('carrier-twin');
    expect(leastCost([b, twin], { number: '4420', seconds: 60, at: AT }).best?.planId).toBe('carrier-b');
    expect(leastCost([a, b], { number: '81312345678', seconds: 60, at: AT }).best).toBeNull();
  });

  it('refuses plans in different currencies or sell plans', () => {
    expect(() => leastCost([a, carrier('carrier-usd', { '44': '0.01' }, 'USD')], { number: '4420', seconds: 60, at: AT })).toThrow(CalltrailError);
    const sell = parsePlan({ id: 'retail', name: 'retail', kind: 'sell', currency: 'EUR', rates: [] });
    expect(() => leastCost([a, sell], { number: '4420', seconds: 60, at: AT })).toThrow('plan retail is a sell plan; least-cost routing compares buy (carrier) plans');
  });
});

describe('margin', () => {
  const retail = parsePlan({
    id: 'retail',
    name: 'Retail',
    kind: 'sell',
    currency: 'EUR',
    rates: [{ prefix: '44', tariffs: [{ decimals: 2, connectFee: '0.05', increments: [{ fromSecond: 0, rate: '0.10', unitSeconds: 60, incrementSeconds: 60 }] }] }],
  });

  it('is price minus cost, exactly', () => {
    const call = { number: '442071234567', seconds: 120, at: AT };
    // price 0.05 + 2 × 0.10 = 0.25; cost (carrier-b) 120 × 0.010/60 = 0.0200; margin 0.2300
    expect(margin(rateCall(retail, call), rateCall(b, call))).toEqual({ margin: '0.2300', currency: 'EUR' });
    // a loss shows as a negative margin
    const pricey = carrier('pricey', { '44': '1.00' });
    // cost 120 × 1.00/60 = 2.0000; margin 0.25 − 2.0000 = −1.7500
    expect(margin(rateCall(retail, call), rateCall(pricey, call))).toEqual({ margin: '-1.7500', currency: 'EUR' });
  });

  it('has no margin without both a price and a cost in one currency', () => {
    const call = { number: '33142685300', seconds: 60, at: AT };
    expect(margin(rateCall(retail, call), rateCall(c, call))).toEqual({ margin: null, reason: 'no price: no rate for 33142685300 in plan retail' });
    const usd = carrier('usd', { '44': '0.01' }, 'USD');
    const uk = { number: '4420', seconds: 60, at: AT };
    expect(margin(rateCall(retail, uk), rateCall(usd, uk))).toEqual({ margin: null, reason: 'price in EUR and cost in USD cannot be compared' });
  });
});
