// Least-cost routing for reporting: which carrier (buy plan) would have carried a call cheapest,
// and the margin of a call: its price (sell plan) minus its cost (buy plan).

import { CalltrailError } from '../core/errors.js';
import { nanoText, parseNano, type RatePlan } from './plan.js';
import { compilePlan, rateCall, type CompiledPlan, type RateInput, type RatedCall, type RateResult } from './rate.js';

export interface CarrierQuote {
  planId: string;
  carrier: string | null;
  result: RatedCall;
}

export interface LeastCost {
  /** The cheapest carrier, or null when no plan rates the call. */
  best: CarrierQuote | null;
  /** Every carrier that rates the call, cheapest first (ties keep the order the plans were given in). */
  quotes: CarrierQuote[];
  /** Plans that do not rate the call, with the reason. */
  unrated: { planId: string; reason: string }[];
}

/** Rates a call on every buy plan and ranks the carriers by cost. All plans must share one currency. */
export function leastCost(plans: (RatePlan | CompiledPlan)[], call: RateInput): LeastCost {
  const compiled = plans.map(compilePlan);
  const currencies = new Set(compiled.map((c) => c.plan.currency));
  if (currencies.size > 1) throw new CalltrailError('VALIDATION', `least-cost routing needs plans in one currency; got ${[...currencies].join(', ')}`);
  const notBuy = compiled.find((c) => c.plan.kind !== 'buy');
  if (notBuy) throw new CalltrailError('VALIDATION', `plan ${notBuy.plan.id} is a ${notBuy.plan.kind} plan; least-cost routing compares buy (carrier) plans`);
  const quotes: (CarrierQuote & { nano: bigint })[] = [];
  const unrated: LeastCost['unrated'] = [];
  for (const c of compiled) {
    const result = rateCall(c, call);
    if (result.rated) quotes.push({ planId: c.plan.id, carrier: c.plan.carrier, result, nano: nanoOf(result.cost) });
    else unrated.push({ planId: result.planId, reason: result.reason });
  }
  quotes.sort((a, b) => (a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0));
  const ranked = quotes.map(({ nano: _nano, ...q }) => q);
  return { best: ranked[0] ?? null, quotes: ranked, unrated };
}

export type Margin = { margin: string; currency: string } | { margin: null; reason: string };

/** price − cost, exactly. */
export function margin(price: RateResult, cost: RateResult): Margin {
  if (!price.rated) return { margin: null, reason: `no price: ${price.reason}` };
  if (!cost.rated) return { margin: null, reason: `no cost: ${cost.reason}` };
  if (price.currency !== cost.currency) return { margin: null, reason: `price in ${price.currency} and cost in ${cost.currency} cannot be compared` };
  const places = Math.max(decimalsOf(price.cost), decimalsOf(cost.cost));
  return { margin: nanoText(nanoOf(price.cost) - nanoOf(cost.cost), places), currency: price.currency };
}

function nanoOf(cost: string): bigint {
  // Costs come from the rater: plain decimals with at most 9 places.
  const [whole = '0', fraction = ''] = cost.split('.');
  const n = parseNano(cost);
  return typeof n === 'number' ? BigInt(n) : BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}

function decimalsOf(cost: string): number {
  return cost.split('.')[1]?.length ?? 0;
}
