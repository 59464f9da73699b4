import { pathToFileURL } from 'node:url';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { DialPlan } from '../src/config/schema.js';
import { classifyNumber } from '../src/numbers/classify.js';
import { DestinationTrie, defaultDestinations } from '../src/numbers/destinations.js';

// The cost of numbers work per call: classification (distinct numbers, so the per-plan cache never
// hits, and repeated numbers, as a real site's traffic mostly is), libphonenumber-js's own parse
// for comparison, and longest-prefix destination lookups with 100,000 prefixes loaded.
// Sizes can be lowered with BENCH_NUMBERS for a quick look.

export interface NumbersResult {
  name: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  note?: string;
}

const COUNT = Number(process.env.BENCH_NUMBERS ?? 200_000);
const PREFIXES = 100_000;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fill(rand: () => number, start: string, length: number): string {
  let s = start;
  while (s.length < length) s += Math.floor(rand() * 10);
  return s;
}

/** What a GB site with outside line 9 dials: local, national, mobile, freephone, international, extensions. */
function dialledNumbers(count: number, seed: number): string[] {
  const rand = prng(seed);
  const shapes: [string, number][] = [
    ['90207', 12],
    ['90113', 12],
    ['90161', 12],
    ['9074', 12],
    ['9077', 12],
    ['90800', 12],
    ['900331', 14],
    ['900491', 15],
    ['9001', 15],
    ['2', 3],
  ];
  return Array.from({ length: count }, () => {
    const [start, length] = shapes[Math.floor(rand() * shapes.length)]!;
    return fill(rand, start, length);
  });
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const round = (n: number, places = 3): number => Math.round(n * 10 ** places) / 10 ** places;

function result(name: string, rows: number, seconds: number, note: string): NumbersResult {
  return { name, rows, seconds: round(seconds), rowsPerSecond: Math.round(rows / seconds), note };
}

export function benchNumbers(): NumbersResult[] {
  const results: NumbersResult[] = [];
  const numbers = dialledNumbers(COUNT, 1);

  // Warm up code paths on other numbers, then a fresh plan object so its cache starts empty.
  const warm: DialPlan = { country: 'GB', outsideLine: '9', areaCode: '20' };
  for (const n of dialledNumbers(20_000, 2)) classifyNumber(n, warm, 'outbound');

  const plan: DialPlan = { country: 'GB', outsideLine: '9', areaCode: '20' };
  const types = new Map<string, number>();
  const distinct = timed(() => {
    for (const n of numbers) {
      const c = classifyNumber(n, plan, 'outbound');
      types.set(c.type, (types.get(c.type) ?? 0) + 1);
    }
  });
  const mix = [...types].map(([t, n]) => `${t} ${Math.round((100 * n) / COUNT)}%`).join(', ');
  results.push(result('classify numbers, all distinct', COUNT, distinct, `${round((distinct / COUNT) * 1e6, 2)} µs per call; mix: ${mix}`));

  // A busy site's traffic repeats: 2,000 numbers called over and over.
  const repeated = Array.from({ length: COUNT }, (_, i) => numbers[i % 2000]!);
  const cachedPlan: DialPlan = { country: 'GB', outsideLine: '9', areaCode: '20' };
  const cached = timed(() => {
    for (const n of repeated) classifyNumber(n, cachedPlan, 'outbound');
  });
  results.push(result('classify numbers, 2,000 repeated', COUNT, cached, `${round((cached / COUNT) * 1e6, 2)} µs per call (per-plan cache)`));

  // What the fast path saves: libphonenumber-js parsing + isValid + getType on its own.
  const sample = numbers.slice(0, Math.min(COUNT, 20_000)).filter((n) => n.length > 5).map((n) => n.slice(1));
  const library = timed(() => {
    for (const n of sample) {
      const p = parsePhoneNumberFromString(n, 'GB');
      if (p?.isValid()) p.getType();
    }
  });
  results.push(result('libphonenumber-js parse + isValid + getType', sample.length, library, `${round((library / sample.length) * 1e6, 2)} µs per number (the slow path)`));

  // Destination lookups with 100,000 prefixes of 3 to 8 digits loaded.
  const rand = prng(3);
  const table = new DestinationTrie();
  const built = timed(() => {
    while (table.size < PREFIXES) {
      const prefix = fill(rand, String(1 + Math.floor(rand() * 9)), 3 + Math.floor(rand() * 6));
      table.set(prefix, `Destination ${prefix.slice(0, 3)}`);
    }
  });
  results.push(result('destination table build', PREFIXES, built, `${PREFIXES} prefixes into the digit trie`));
  const lookups = Array.from({ length: 1_000_000 }, () => fill(rand, String(1 + Math.floor(rand() * 9)), 11 + Math.floor(rand() * 3)));
  let found = 0;
  const lookupSeconds = timed(() => {
    for (const n of lookups) if (table.lookup(n)) found++;
  });
  results.push(result('destination lookups, 100,000 prefixes', lookups.length, lookupSeconds, `lookups/s, longest-prefix match; ${Math.round((100 * found) / lookups.length)}% found`));

  const defaults = timed(() => defaultDestinations());
  results.push(result('default destination table from metadata', defaultDestinations().size, defaults, 'built once, on first use'));
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of benchNumbers()) process.stdout.write(`${r.name}: ${r.rowsPerSecond}/s over ${r.rows} (${r.seconds} s)${r.note ? ` — ${r.note}` : ''}\n`);
}
