import { CalltrailError } from '../core/errors.js';
import { digitsProblem, failOnProblems, readCsv, type DataProblem } from './csv.js';
import { lineTypeOf, mobileLengths } from './fast.js';
import { callingCodes, leadingDigitsOf, nonGeographicCodes, type CountryCode } from './metadata.js';

// Prefix → destination name ("United Kingdom - Mobile - Vodafone"), longest-prefix match. Used by
// reports and rating for every call, so lookups walk a digit trie held in typed arrays: one array
// read per digit, no strings built until a match is returned. Overlapping prefixes (44 and 447)
// are the point of longest-prefix match, not an error.

/** One match: the longest prefix of the number found in the table, and its destination name. */
export interface DestinationMatch {
  prefix: string;
  name: string;
}

/** What reports and rating need from a destination table. `digits` is E.164 without '+'. */
export interface DestinationTable {
  lookup(digits: string): DestinationMatch | null;
  readonly size: number;
}

export interface DestinationRow {
  prefix: string;
  name: string;
}

const NONE = -1;

export class DestinationTrie implements DestinationTable {
  /** children[node * 10 + digit] → child node, 0 = none (node 0 is the root, never a child). */
  private children = new Int32Array(10 * 1024);
  /** values[node] → index into names, or NONE. */
  private values = new Int32Array(1024).fill(NONE);
  private nodes = 1;
  private names: string[] = [];
  private nameIndex = new Map<string, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds or replaces one prefix. Validation of data files is parseDestinationsCsv's job. */
  set(prefix: string, name: string): void {
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      const d = prefix.charCodeAt(i) - 48;
      if (d < 0 || d > 9) throw new CalltrailError('VALIDATION', `destination prefix "${prefix}" must be digits only`);
      const slot = node * 10 + d;
      let next = this.children[slot]!;
      if (next === 0) {
        next = this.newNode();
        this.children[slot] = next;
      }
      node = next;
    }
    if (this.values[node] === NONE) this.count++;
    let index = this.nameIndex.get(name);
    if (index === undefined) {
      index = this.names.push(name) - 1;
      this.nameIndex.set(name, index);
    }
    this.values[node] = index;
  }

  /** The name stored for exactly this prefix, or null. */
  get(prefix: string): string | null {
    let node = 0;
    for (let i = 0; i < prefix.length && node !== NONE; i++) {
      const d = prefix.charCodeAt(i) - 48;
      node = d < 0 || d > 9 ? NONE : this.children[node * 10 + d] || NONE;
    }
    const v = node === NONE ? NONE : this.values[node]!;
    return v === NONE ? null : this.names[v]!;
  }

  lookup(digits: string): DestinationMatch | null {
    let node = 0;
    let best = NONE;
    let bestLength = 0;
    for (let i = 0; i < digits.length; i++) {
      const d = digits.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      node = this.children[node * 10 + d]!;
      if (node === 0) break;
      const v = this.values[node]!;
      if (v !== NONE) {
        best = v;
        bestLength = i + 1;
      }
    }
    return best === NONE ? null : { prefix: digits.slice(0, bestLength), name: this.names[best]! };
  }

  /** Every prefix and name, in prefix order. */
  *entries(): IterableIterator<DestinationRow> {
    const stack: [number, string][] = [[0, '']];
    while (stack.length > 0) {
      const [node, prefix] = stack.pop()!;
      const v = this.values[node]!;
      if (v !== NONE) yield { prefix, name: this.names[v]! };
      for (let d = 9; d >= 0; d--) {
        const child = this.children[node * 10 + d]!;
        if (child !== 0) stack.push([child, prefix + d]);
      }
    }
  }

  private newNode(): number {
    if (this.nodes >= this.values.length) {
      const values = new Int32Array(this.values.length * 2).fill(NONE);
      values.set(this.values);
      this.values = values;
      const children = new Int32Array(this.children.length * 2);
      children.set(this.children);
      this.children = children;
    }
    return this.nodes++;
  }
}

/** Builds a table from rows, after checking them (see parseDestinationsCsv for the rules). */
export function destinationTable(rows: DestinationRow[], source = 'destinations'): DestinationTrie {
  const problems: DataProblem[] = [];
  const table = new DestinationTrie();
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const line = i + 1;
    const problem = digitsProblem('prefix', row.prefix) ?? (row.name.trim() === '' ? `empty destination for prefix ${row.prefix}` : null);
    if (problem) return void problems.push({ line, message: problem });
    const existing = table.get(row.prefix);
    if (existing !== null && existing !== row.name) {
      return void problems.push({ line, message: `prefix ${row.prefix} is already "${existing}" (row ${seen.get(row.prefix)}), not "${row.name}"` });
    }
    seen.set(row.prefix, line);
    table.set(row.prefix, row.name);
  });
  failOnProblems(source, problems);
  return table;
}

/**
 * Reads `prefix,destination` CSV (header required, names may be quoted). Errors, all reported
 * with their line numbers: empty prefix, a prefix that is not digits ('+', spaces, letters),
 * empty destination, the same prefix twice with different names. The same prefix twice with the
 * same name is accepted once.
 */
export function parseDestinationsCsv(text: string, source = 'destinations.csv'): DestinationRow[] {
  const problems: DataProblem[] = [];
  const rows = readCsv(text, source, ['prefix', 'destination'], problems);
  const out: DestinationRow[] = [];
  const firstLine = new Map<string, { line: number; name: string }>();
  for (const row of rows) {
    const prefix = row.get('prefix');
    const name = row.get('destination');
    const problem = digitsProblem('prefix', prefix) ?? (name === '' ? 'empty destination' : null);
    if (problem) {
      problems.push({ line: row.line, message: problem });
      continue;
    }
    const first = firstLine.get(prefix);
    if (first) {
      if (first.name !== name) problems.push({ line: row.line, message: `prefix ${prefix} is already "${first.name}" (line ${first.line}), not "${name}"` });
      continue;
    }
    firstLine.set(prefix, { line: row.line, name });
    out.push({ prefix, name });
  }
  failOnProblems(source, problems);
  return out;
}

export function loadDestinationsCsv(text: string, source = 'destinations.csv'): DestinationTrie {
  const table = new DestinationTrie();
  for (const row of parseDestinationsCsv(text, source)) table.set(row.prefix, row.name);
  return table;
}

// ---- The default table, generated from libphonenumber-js metadata ----

// Non-geographic calling codes have no region for Intl.DisplayNames to name.
const NON_GEOGRAPHIC: Record<string, string> = {
  '800': 'International Freephone',
  '808': 'International Shared Cost',
  '870': 'Inmarsat',
  '878': 'Universal Personal Telecommunications',
  '881': 'Global Mobile Satellite System',
  '882': 'International Networks',
  '883': 'International Networks',
  '888': 'United Nations OCHA',
  '979': 'International Premium Rate',
};

const MAX_LEADING = 4;
const MOBILE_DEPTH = 4;
const SAMPLES = 24;

/** Deterministic PRNG (mulberry32), so the generated table is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The shortest digit prefixes that a leading-digits pattern accepts (up to 4 digits). */
function leadingPrefixes(pattern: string): string[] {
  const re = new RegExp(`^(?:${pattern})`);
  const found: string[] = [];
  let frontier = [''];
  for (let depth = 1; depth <= MAX_LEADING && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const p of frontier) {
      for (let d = 0; d <= 9; d++) {
        const candidate = p + d;
        if (re.test(candidate)) found.push(candidate);
        else next.push(candidate);
      }
    }
    frontier = next;
  }
  return found;
}

/**
 * National-number prefixes under which the metadata's MOBILE pattern is the only type that
 * matches: sampled completions of each prefix are classified, mixed prefixes are split a digit
 * further (up to 4 digits). Mixed prefixes at the last level stay unnamed (country only).
 */
function mobilePrefixes(country: string, within: string[]): string[] {
  const lengths = mobileLengths(country);
  if (!lengths) return [];
  const rand = prng([...country].reduce((h, ch) => h * 31 + ch.charCodeAt(0), 7));
  const out: string[] = [];
  const visit = (prefix: string): void => {
    let mobile = 0;
    let other = 0;
    for (const length of lengths) {
      if (length <= prefix.length) continue;
      for (let s = 0; s < SAMPLES; s++) {
        let nsn = prefix;
        while (nsn.length < length) nsn += Math.floor(rand() * 10);
        const type = lineTypeOf(country, nsn);
        if (type === 'MOBILE') mobile++;
        else if (type !== undefined) other++;
      }
    }
    if (mobile === 0 && prefix.length > 0) return;
    if (other === 0 && prefix.length > 0) return void out.push(prefix);
    if (prefix.length >= MOBILE_DEPTH) return;
    for (let d = 0; d <= 9; d++) visit(prefix + d);
  };
  if (within.length === 0) visit('');
  else for (const p of within) visit(p);
  return out;
}

/**
 * For a country that shares its calling code without leading digits (Canada, Jersey): the
 * national-number prefixes whose sampled numbers are valid there and in no other country of the
 * code, split a digit further while mixed (up to 4 digits).
 */
function ownedPrefixes(country: string, others: string[]): string[] {
  const rand = prng([...country].reduce((h, ch) => h * 31 + ch.charCodeAt(0), 11));
  const out: string[] = [];
  const visit = (prefix: string): void => {
    let mine = 0;
    let theirs = 0;
    for (let s = 0; s < SAMPLES * 2; s++) {
      let nsn = prefix;
      const length = 7 + Math.floor(rand() * 4);
      while (nsn.length < length) nsn += Math.floor(rand() * 10);
      if (lineTypeOf(country, nsn) !== undefined) mine++;
      else if (others.some((o) => lineTypeOf(o, nsn) !== undefined)) theirs++;
    }
    if (mine === 0 && prefix.length > 0) return;
    if (theirs === 0 && prefix.length > 0) return void out.push(prefix);
    if (prefix.length >= MAX_LEADING) return;
    for (let d = 0; d <= 9; d++) visit(prefix + d);
  };
  visit('');
  return out;
}

let defaultTable: DestinationTrie | null = null;

/**
 * A country-level table for a fresh install: every calling code named after its country, the
 * countries sharing a code told apart by the metadata's leading digits or number patterns, plus
 * "<country> - Mobile" prefixes where the metadata tells mobile from fixed (not NANP, where it
 * cannot). Built once, on first use (well under a second).
 */
export function defaultDestinations(): DestinationTrie {
  if (defaultTable) return defaultTable;
  const regionName = new Intl.DisplayNames(['en'], { type: 'region' });
  const nameOf = (country: string): string => regionName.of(country) ?? country;
  const table = new DestinationTrie();
  const add = (prefix: string, name: string): void => {
    if (table.get(prefix) === null) table.set(prefix, name);
  };
  for (const code of nonGeographicCodes()) add(code, NON_GEOGRAPHIC[code] ?? `International +${code}`);
  for (const [code, countries] of callingCodes()) {
    countries.forEach((country, i) => {
      const name = nameOf(country);
      const leading = leadingDigitsOf(country as CountryCode);
      const within = i === 0 ? [] : leading ? leadingPrefixes(leading) : ownedPrefixes(country, countries.filter((c) => c !== country));
      if (i === 0) add(code, name);
      for (const p of within) add(code + p, name);
      if (i > 0 && within.length === 0) return;
      for (const p of mobilePrefixes(country, within)) add(code + p, `${name} - Mobile`);
    });
  }
  defaultTable = table;
  return table;
}
