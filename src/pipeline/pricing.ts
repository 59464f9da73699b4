import type { Call } from '../core/call.js';
import { logger } from '../core/log.js';
import { Directory, type DirectoryEntry } from '../directory/directory.js';
import { defaultDestinations, destinationTable, type DestinationTable } from '../numbers/destinations.js';
import { NumberLists, TenantLists, type ListRule } from '../numbers/lists.js';
import { nanoText, parseNano, type RatePlan } from '../rating/plan.js';
import { compilePlan, rateCall, type CompiledPlan, type RateInput, type RateResult } from '../rating/rate.js';
import { UNRATED, type CallRating } from '../store/calls-repository.js';
import type { Database } from '../store/database.js';
import { RatingRepository, type TenantDestination, type TenantDirectoryEntry, type TenantListRule } from '../store/rating-repository.js';
import { ALL_TENANTS } from '../store/scope.js';
import type { CallPricer, SwitchRuntime } from './ingest.js';

// Pricing: what happens to every call right after it is normalized, as it lands and on rebill.
//  1. directory: the person, department and cost centre of the extension on the call's local date;
//  2. number lists: extra.listed = blacklist | whitelist (and extra.listRule);
//  3. destination name of the number called (tenant table, else global table, else the built-in one);
//  4. price: the tenant's sell plan (or the sell plan for every tenant);
//  5. cost: the buy plan of the call's trunk, or the cheapest buy plan when the trunk has none;
//  6. margin = price − cost when both are in one currency.
// A call that cannot be rated keeps null money with extra.costReason / extra.priceReason; it is
// never dropped. Plans are compiled once, at load; rating a call walks the plan's trie.

const log = logger('pricing');

/** The keys pricing writes into call.extra; rebill takes them away before pricing again. */
export const PRICING_EXTRA_KEYS = [
  'person',
  'department',
  'costCentre',
  'listed',
  'listRule',
  'destination',
  'cost',
  'costCurrency',
  'price',
  'priceCurrency',
  'margin',
  'costReason',
  'priceReason',
] as const;

export interface PricingData {
  plans: RatePlan[];
  destinations: TenantDestination[];
  directory: TenantDirectoryEntry[];
  lists: TenantListRule[];
}

function groupBy<T extends { tenantId: string | null }>(rows: T[]): Map<string | null, T[]> {
  const out = new Map<string | null, T[]>();
  for (const r of rows) {
    const list = out.get(r.tenantId);
    if (list) list.push(r);
    else out.set(r.tenantId, [r]);
  }
  return out;
}

export class Pricing implements CallPricer {
  private readonly sellByTenant = new Map<string, CompiledPlan>();
  private sellForAll: CompiledPlan | null = null;
  private readonly buyByTrunk = new Map<string, CompiledPlan>();
  private readonly buyPlans: CompiledPlan[] = [];
  /** Why least-cost choice is off (buy plans in several currencies), or null. */
  private readonly lcrOff: string | null;
  private readonly destinationsByTenant = new Map<string, DestinationTable>();
  private readonly destinations: DestinationTable;
  private readonly directories = new Map<string, Directory>();
  private readonly lists = new TenantLists();
  /** Reused for every call: rateCall reads it and keeps nothing. */
  private readonly input: RateInput = { number: '', seconds: 0, at: 0 };
  readonly summary: { sellPlans: number; buyPlans: number; destinations: number; directoryEntries: number; listRules: number };

  constructor(data: PricingData) {
    // Later plans (newer updated_at) win where two claim the same tenant or trunk.
    for (const plan of data.plans) {
      const compiled = compilePlan(plan);
      if (plan.kind === 'sell') {
        if (plan.tenant) this.sellByTenant.set(plan.tenant, compiled);
        else this.sellForAll = compiled;
      } else {
        this.buyPlans.push(compiled);
        for (const trunk of plan.trunks) this.buyByTrunk.set(trunk, compiled);
      }
    }
    const currencies = new Set(this.buyPlans.map((p) => p.plan.currency));
    this.lcrOff = currencies.size > 1 ? `buy plans are in ${[...currencies].sort().join(', ')}: give the call's trunk a buy plan` : null;

    const destinations = groupBy(data.destinations);
    for (const [tenant, rows] of destinations) if (tenant !== null) this.destinationsByTenant.set(tenant, destinationTable(rows, `destinations of tenant ${tenant}`));
    const global = destinations.get(null);
    this.destinations = global ? destinationTable(global, 'destinations') : defaultDestinations();

    for (const [tenant, rows] of groupBy(data.directory)) {
      this.directories.set(tenant!, new Directory(rows.map(entryOf), `directory of tenant ${tenant}`));
    }
    for (const [tenant, rows] of groupBy(data.lists)) this.lists.set(tenant!, new NumberLists(rows.map(ruleOf), `lists of tenant ${tenant}`));

    this.summary = {
      sellPlans: data.plans.filter((p) => p.kind === 'sell').length,
      buyPlans: this.buyPlans.length,
      destinations: data.destinations.length,
      directoryEntries: data.directory.length,
      listRules: data.lists.length,
    };
  }

  /** Loads and compiles everything pricing needs from the store. */
  static async load(database: Database): Promise<Pricing> {
    const repo = new RatingRepository(database);
    const started = Date.now();
    const pricing = new Pricing({
      plans: await repo.loadPlans(),
      destinations: await repo.loadDestinations(),
      directory: await repo.loadDirectory(ALL_TENANTS),
      lists: await repo.loadLists(ALL_TENANTS),
    });
    log.info({ ...pricing.summary, ms: Date.now() - started }, 'pricing loaded');
    return pricing;
  }

  /** The same switches, each pricing its calls with this. */
  attachTo(switches: Map<string, SwitchRuntime>): Map<string, SwitchRuntime> {
    for (const sw of switches.values()) sw.pricing = this;
    return switches;
  }

  price(call: Call, tenantId: string, startedAtMs: number): CallRating {
    const extra = call.extra;
    const rating: CallRating = { ...UNRATED };

    if (call.extension) {
      const entry = this.directories.get(tenantId)?.lookup(call.extension, call.startedAt);
      if (entry) {
        rating.person = extra.person = entry.person;
        rating.department = extra.department = entry.department;
        rating.costCentre = extra.costCentre = entry.costCentre;
      }
    }

    const verdict = this.lists.evaluate(tenantId, call);
    if (verdict.listed) {
      rating.listed = extra.listed = verdict.listed;
      extra.listRule = verdict.rule!.label ? `${verdict.rule!.kind} ${verdict.rule!.value} (${verdict.rule!.label})` : `${verdict.rule!.kind} ${verdict.rule!.value}`;
    }

    const unratable = this.unratable(call);
    const number = call.calledNumber;
    if (unratable === null || unratable === NOT_ANSWERED) {
      // Where the call went is known even when it was not answered.
      const match = this.destinationsByTenant.get(tenantId)?.lookup(number!) ?? this.destinations.lookup(number!);
      if (match) rating.destination = extra.destination = match.name;
    }
    if (unratable !== null) {
      extra.costReason = extra.priceReason = unratable;
      return rating;
    }

    const input = this.input;
    input.number = number!;
    input.seconds = call.talkSeconds;
    input.at = startedAtMs;

    const sell = this.sellByTenant.get(tenantId) ?? this.sellForAll;
    let price: RateResult | null = null;
    if (!sell) extra.priceReason = `no sell plan for tenant ${tenantId}`;
    else {
      price = rateCall(sell, input);
      const nanos = price.rated ? nanosOf(price.cost) : null;
      if (price.rated && nanos === null) price = tooLarge(price.planId, price.cost);
      if (price.rated) {
        rating.priceNanos = nanos;
        rating.priceCurrency = extra.priceCurrency = price.currency;
        rating.pricePlan = price.planId;
        extra.price = price.cost;
      } else extra.priceReason = price.reason;
    }

    let cost = this.cost(call.trunk, input);
    const nanos = typeof cost !== 'string' && cost.rated ? nanosOf(cost.cost) : null;
    if (typeof cost !== 'string' && cost.rated && nanos === null) cost = tooLarge(cost.planId, cost.cost);
    if (typeof cost === 'string') extra.costReason = cost;
    else if (cost.rated) {
      rating.costNanos = nanos;
      rating.costCurrency = extra.costCurrency = cost.currency;
      rating.costPlan = cost.planId;
      extra.cost = cost.cost;
      if (price?.rated && price.currency === cost.currency) {
        // price − cost exactly, with the larger number of decimals of the two
        extra.margin = nanoText(rating.priceNanos! - nanos!, Math.max(decimalsOf(price.cost), decimalsOf(cost.cost)));
      }
    } else extra.costReason = cost.reason;
    return rating;
  }

  /** Why the call is not rated at all, or null when it is to be rated. */
  private unratable(call: Call): string | null {
    if (call.direction === 'internal') return 'internal call';
    if (call.direction === 'inbound') return 'inbound call';
    const type = call.extra.numberType;
    if (!call.calledNumber || type === 'unknown' || type === undefined) {
      const reason = call.extra.numberReason;
      return typeof reason === 'string' ? `number not classified: ${reason}` : 'number not classified';
    }
    if (type === 'internal') return 'internal call';
    // Not an E.164 number (999, 112): a prefix table would take 112 for +1.
    if (type === 'emergency') return 'emergency call';
    if (!(call.talkSeconds > 0)) return NOT_ANSWERED;
    return null;
  }

  /** The carrier's cost: the trunk's buy plan, else the cheapest buy plan. A string says why there is none. */
  private cost(trunk: string | null, input: RateInput): RateResult | string {
    const plan = trunk === null ? undefined : this.buyByTrunk.get(trunk);
    if (plan) return rateCall(plan, input);
    if (this.buyPlans.length === 0) return 'no buy plan';
    if (this.lcrOff) return this.lcrOff;
    let best: RateResult | null = null;
    let bestNanos = Infinity;
    for (const p of this.buyPlans) {
      const r = rateCall(p, input);
      if (!r.rated) {
        best ??= r;
        continue;
      }
      const n = nanosOf(r.cost) ?? Infinity;
      if (n < bestNanos || best === null || !best.rated) {
        best = r;
        bestNanos = n;
      }
    }
    return best!;
  }
}

const NOT_ANSWERED = 'not answered (no talk time)';

/** The rater's decimal text as integer nano-units; null beyond 2⁵³ nano-units (9 million), which is no call's cost. */
export function nanosOf(cost: string): number | null {
  const n = parseNano(cost);
  return typeof n === 'number' ? n : null;
}

function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}

function tooLarge(planId: string, cost: string): RateResult {
  return { rated: false, planId, reason: `cost ${cost} is too large to store: a broken record or plan` };
}

function entryOf(e: TenantDirectoryEntry): DirectoryEntry {
  return { extension: e.extension, person: e.person, department: e.department, costCentre: e.costCentre, validFrom: e.validFrom, validTo: e.validTo };
}

function ruleOf(r: TenantListRule): ListRule {
  return r.label ? { list: r.list, kind: r.kind, value: r.value, label: r.label } : { list: r.list, kind: r.kind, value: r.value };
}
