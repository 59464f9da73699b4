import type { Call } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { digitsProblem, failOnProblems, readCsv, type DataProblem } from './csv.js';
import { isSupportedCountry } from './metadata.js';

// Blacklist / whitelist of number prefixes and countries, per tenant. A call is marked as it lands
// (the alerts issue notifies on the marks). The whitelist wins over the blacklist: a whitelist
// entry is the exception carved out of a broader block ("block +44 9…, but allow this one
// supplier"), so the more deliberate entry decides. Within a list the most specific rule is
// reported: the longest matching prefix, else the country.

export type ListName = 'blacklist' | 'whitelist';

export interface ListRule {
  list: ListName;
  kind: 'prefix' | 'country';
  /** E.164 digits without '+' for a prefix, an ISO 3166 code for a country. */
  value: string;
  label?: string;
}

export interface ListVerdict {
  listed: ListName | null;
  rule: ListRule | null;
}

/** The YAML/JSON shape: `{ blacklist: { prefixes: ["4490"], countries: ["KP"] }, whitelist: … }`. */
export interface ListsInput {
  blacklist?: { prefixes?: string[]; countries?: string[] };
  whitelist?: { prefixes?: string[]; countries?: string[] };
}

const NOT_LISTED: ListVerdict = { listed: null, rule: null };

/** Checks the rules, with `where(i)` naming rule i in messages (a line number or a config path). */
function checkRules(rules: ListRule[], where: (i: number) => number, source: string): void {
  const problems: DataProblem[] = [];
  const seen = new Map<string, ListRule>();
  rules.forEach((rule, i) => {
    const line = where(i);
    const problem =
      rule.kind === 'prefix'
        ? digitsProblem('prefix', rule.value)
        : isSupportedCountry(rule.value)
          ? null
          : `country "${rule.value}" is not an ISO 3166 code (such as GB)`;
    if (problem) return void problems.push({ line, message: problem });
    const key = `${rule.kind}:${rule.value}`;
    const earlier = seen.get(key);
    if (earlier && earlier.list !== rule.list) {
      problems.push({ line, message: `${rule.kind} ${rule.value} is on both the blacklist and the whitelist` });
    }
    seen.set(key, rule);
  });
  failOnProblems(source, problems);
}

export class NumberLists {
  private readonly prefixes: Map<string, ListRule>[] = [new Map(), new Map()];
  private readonly countries: Map<string, ListRule>[] = [new Map(), new Map()];
  private readonly lengths: number[][] = [[], []];

  constructor(rules: ListRule[], source = 'lists') {
    checkRules(rules, (i) => i + 1, source);
    for (const rule of rules) {
      const side = rule.list === 'whitelist' ? 0 : 1;
      if (rule.kind === 'country') this.countries[side]!.set(rule.value, rule);
      else {
        this.prefixes[side]!.set(rule.value, rule);
        if (!this.lengths[side]!.includes(rule.value.length)) this.lengths[side]!.push(rule.value.length);
      }
    }
    for (const l of this.lengths) l.sort((a, b) => b - a);
  }

  get empty(): boolean {
    return this.prefixes.every((m) => m.size === 0) && this.countries.every((m) => m.size === 0);
  }

  /** Marks a number (E.164 digits, '+' allowed) of a country. */
  evaluateNumber(number: string | null, country: string | null): ListVerdict {
    const digits = number?.startsWith('+') ? number.slice(1) : number;
    for (let side = 0; side < 2; side++) {
      const rule = this.match(side, digits ?? null, country);
      if (rule) return { listed: rule.list, rule };
    }
    return NOT_LISTED;
  }

  /**
   * Marks a call: outbound (and unknown-direction) calls by the number called and its country,
   * inbound calls by the caller's number and country; internal calls are never listed.
   */
  evaluate(call: Pick<Call, 'direction' | 'calledNumber' | 'callerNumber' | 'extra'>): ListVerdict {
    if (call.direction === 'internal') return NOT_LISTED;
    const country = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    if (call.direction === 'inbound') return this.evaluateNumber(call.callerNumber, country(call.extra.callerCountry));
    return this.evaluateNumber(call.calledNumber, country(call.extra.country));
  }

  private match(side: number, digits: string | null, country: string | null): ListRule | null {
    if (digits && /^\d+$/.test(digits)) {
      const prefixes = this.prefixes[side]!;
      for (const length of this.lengths[side]!) {
        if (length > digits.length) continue;
        const rule = prefixes.get(digits.slice(0, length));
        if (rule) return rule;
      }
    }
    return (country && this.countries[side]!.get(country)) || null;
  }
}

/** Rules from the YAML/JSON shape. */
export function listRulesFrom(input: ListsInput): ListRule[] {
  const rules: ListRule[] = [];
  for (const list of ['blacklist', 'whitelist'] as const) {
    for (const value of input[list]?.prefixes ?? []) rules.push({ list, kind: 'prefix', value: String(value) });
    for (const value of input[list]?.countries ?? []) rules.push({ list, kind: 'country', value: String(value) });
  }
  return rules;
}

/**
 * Reads `list,type,value[,label]` CSV: list is blacklist or whitelist, type prefix or country.
 * Problems are reported with their line numbers.
 */
export function parseListsCsv(text: string, source = 'lists.csv'): ListRule[] {
  const problems: DataProblem[] = [];
  const rows = readCsv(text, source, ['list', 'type', 'value'], problems);
  const rules: ListRule[] = [];
  const lines: number[] = [];
  for (const row of rows) {
    const list = row.get('list').toLowerCase();
    const kind = row.get('type').toLowerCase();
    const value = kind === 'country' ? row.get('value').toUpperCase() : row.get('value');
    if (list !== 'blacklist' && list !== 'whitelist') {
      problems.push({ line: row.line, message: `list "${row.get('list')}" must be blacklist or whitelist` });
      continue;
    }
    if (kind !== 'prefix' && kind !== 'country') {
      problems.push({ line: row.line, message: `type "${row.get('type')}" must be prefix or country` });
      continue;
    }
    const label = row.get('label');
    rules.push(label ? { list, kind, value, label } : { list, kind, value });
    lines.push(row.line);
  }
  failOnProblems(source, problems);
  checkRules(rules, (i) => lines[i]!, source);
  return rules;
}

/** Lists per tenant; a tenant without lists marks nothing. */
export class TenantLists {
  private readonly byTenant = new Map<string, NumberLists>();

  set(tenant: string, lists: NumberLists): void {
    if (!tenant) throw new CalltrailError('VALIDATION', 'a tenant name is required for number lists');
    this.byTenant.set(tenant, lists);
  }

  evaluate(tenant: string, call: Parameters<NumberLists['evaluate']>[0]): ListVerdict {
    return this.byTenant.get(tenant)?.evaluate(call) ?? NOT_LISTED;
  }
}
