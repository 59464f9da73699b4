import { describe, expect, it } from 'vitest';
import { emptyCall, type Call } from '../core/call.js';
import { parsePlan, type RatePlanInput } from '../rating/plan.js';
import { Pricing, type PricingData } from './pricing.js';

// Pricing without a store: which plan prices which call, and why a call is left unrated.

const AT = '2026-03-02T12:00:00+00:00';
const AT_MS = Date.parse(AT);

function buyPlan(id: string, perMinute: string, extra: Partial<RatePlanInput> = {}): RatePlanInput {
  return {
    id,
    name: id,
    kind: 'buy',
    currency: 'GBP',
    carrier: id,
    rates: [{ prefix: '44', tariffs: [{ decimals: 3, increments: [{ fromSecond: 0, rate: perMinute, unitSeconds: 60, incrementSeconds: 1 }] }] }],
    ...extra,
  };
}

const SELL: RatePlanInput = {
  id: 'retail',
  name: 'Retail',
  kind: 'sell',
  currency: 'GBP',
  rates: [{ prefix: '44', tariffs: [{ decimals: 2, increments: [{ fromSecond: 0, rate: '0.60', unitSeconds: 60, incrementSeconds: 60 }] }] }],
};

function pricing(plans: RatePlanInput[], more: Partial<PricingData> = {}): Pricing {
  return new Pricing({ plans: plans.map((p) => parsePlan(p)), destinations: [], directory: [], lists: [], ...more });
}

function call(fields: Partial<Call>, extra: Call['extra'] = { numberType: 'national', country: 'GB' }): Call {
  return { ...emptyCall('test', AT, ''), direction: 'outbound', calledNumber: '442079460123', talkSeconds: 90, disposition: 'answered', ...fields, extra: { ...extra } };
}

describe('Pricing', () => {
  it('sells with the plan for every tenant and buys on the trunk’s plan, else the cheapest', () => {
    const p = pricing([SELL, buyPlan('cheap', '0.06'), buyPlan('dear', '0.12', { trunks: ['T2'] })]);
    const onT2 = call({ trunk: 'T2' });
    // sell: 2 whole minutes × 0.60 = 1.20; buy on T2: 90 s × 0.002 = 0.180
    expect(p.price(onT2, 'acme', AT_MS)).toMatchObject({ priceNanos: 1_200_000_000, pricePlan: 'retail', costNanos: 180_000_000, costPlan: 'dear' });
    expect(onT2.extra).toMatchObject({ price: '1.20', cost: '0.180', margin: '1.020', destination: 'United Kingdom' });
    // no trunk mapping: the cheaper of the two, 90 × 0.001 = 0.090
    const unmapped = call({ trunk: 'T9' });
    expect(p.price(unmapped, 'acme', AT_MS)).toMatchObject({ costNanos: 90_000_000, costPlan: 'cheap' });
  });

  it('leaves internal, inbound, emergency, unanswered and unclassified calls unrated with the reason', () => {
    const p = pricing([SELL, buyPlan('cheap', '0.06')]);
    const cases: [Call, string][] = [
      [call({ direction: 'internal', calledNumber: '201' }, { numberType: 'internal' }), 'internal call'],
      [call({ direction: 'inbound' }), 'inbound call'],
      [call({ calledNumber: '112' }, { numberType: 'emergency', country: 'GB' }), 'emergency call'],
      [call({ talkSeconds: 0, disposition: 'no_answer' }), 'not answered (no talk time)'],
      [call({ calledNumber: '*99#' }, { numberType: 'unknown', country: null, numberReason: 'contains "*"' }), 'number not classified: contains "*"'],
    ];
    for (const [c, reason] of cases) {
      expect(p.price(c, 'acme', AT_MS)).toMatchObject({ costNanos: null, priceNanos: null });
      expect([c.extra.costReason, c.extra.priceReason]).toEqual([reason, reason]);
    }
  });

  it('says so when there is no plan, and does not pick a carrier across currencies', () => {
    const none = call({});
    pricing([]).price(none, 'acme', AT_MS);
    expect([none.extra.priceReason, none.extra.costReason]).toEqual(['no sell plan for tenant acme', 'no buy plan']);
    const mixed = call({});
    pricing([buyPlan('gbp', '0.06'), buyPlan('eur', '0.05', { currency: 'EUR' })]).price(mixed, 'acme', AT_MS);
    expect(mixed.extra.costReason).toBe("buy plans are in EUR, GBP: give the call's trunk a buy plan");
  });

  it('prefers the tenant’s own sell plan, and annotates from that tenant’s directory only', () => {
    const own = { ...SELL, id: 'acme-retail', tenant: 'acme', rates: [{ prefix: '44', tariffs: [{ decimals: 2, increments: [{ fromSecond: 0, rate: '0.30', unitSeconds: 60, incrementSeconds: 60 }] }] }] };
    const p = pricing([SELL, own], {
      directory: [{ tenantId: 'acme', extension: '201', person: 'Alice', department: 'Sales', costCentre: null, validFrom: null, validTo: null }],
    });
    const acme = call({ extension: '201' });
    const other = call({ extension: '201' });
    expect(p.price(acme, 'acme', AT_MS)).toMatchObject({ priceNanos: 600_000_000, pricePlan: 'acme-retail', department: 'Sales' }); // 2 × 0.30
    expect(p.price(other, 'globex', AT_MS)).toMatchObject({ priceNanos: 1_200_000_000, pricePlan: 'retail', department: null }); // 2 × 0.60
  });
});
