import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Call } from '../core/call.js';
import { DIRECTIONS, DISPOSITIONS } from '../core/call.js';
import { createFramer } from '../framing/framer.js';
import { generateCalls } from '../simulate/generate.js';
import { frameRecord } from '../simulate/simulator.js';
import { detectFormat } from './detect.js';
import type { Format, ParseContext, ParseResult } from './format.js';
import { mergeLegs } from './legs.js';
import { sampleRecords } from './sample.js';

// The suite every format passes (DESIGN.md convention 4). Fixture files whose name contains
// ".bad." hold records that must each be an error; every other fixture must parse without one.

export const FORMATS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Where a format's fixtures are, and whether it is in the registry (detection is then checked against every other format). */
export interface ConformanceOptions {
  fixturesDir?: string;
  registered?: boolean;
}

export function fixtureFiles(format: Format, dir = join(FORMATS_DIR, format.id, 'fixtures')): { name: string; path: string; bad: boolean }[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !name.endsWith('.json'))
    .map((name) => ({ name, path: join(dir, name), bad: name.includes('.bad.') }));
}

/** Frames a whole text with the format's framer, as a transport would. */
export function frame(format: Format, text: string): string[] {
  const framer = createFramer(format.framing);
  return [...framer.push(text), ...framer.end()].map((r) => r.text);
}

/** Parses (and assembles) a whole text: the calls, and every record's result. */
export function parseAll(format: Format, text: string, ctx: ParseContext): { calls: Call[]; results: ParseResult[] } {
  const parser = format.createParser(ctx);
  const assembler = format.createAssembler?.(ctx) ?? null;
  const calls: Call[] = [];
  const results: ParseResult[] = [];
  for (const record of frame(format, text)) {
    const result = parser(record);
    results.push(result);
    if (result.kind === 'call') calls.push(result.call);
    if (result.kind === 'event' && assembler) calls.push(...assembler.push(result.event));
  }
  if (assembler) calls.push(...assembler.flush());
  return { calls, results };
}

const CTX: ParseContext = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

function expectWellFormed(call: Call, format: Format): void {
  expect(call.format).toBe(format.id);
  expect(DIRECTIONS).toContain(call.direction);
  expect(DISPOSITIONS).toContain(call.disposition);
  expect(call.startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
  expect(Number.isNaN(Date.parse(call.startedAt))).toBe(false);
  expect(Number.isInteger(call.talkSeconds) && call.talkSeconds >= 0).toBe(true);
  expect(Number.isInteger(call.durationSeconds) && call.durationSeconds >= call.talkSeconds).toBe(true);
  expect(call.raw.length).toBeGreaterThan(0);
}

export const conformance = {
  fixturesParse(format: Format, options: ConformanceOptions = {}): void {
    const files = fixtureFiles(format, options.fixturesDir);
    expect(files.filter((f) => !f.bad).length).toBeGreaterThan(0);
    for (const file of files) {
      const { calls, results } = parseAll(format, readFileSync(file.path, 'utf8'), CTX);
      if (file.bad) {
        for (const r of results.filter((r) => r.kind !== 'skip')) expect(r.kind, `${file.name}: ${JSON.stringify(r)}`).toBe('error');
      } else {
        const errors = results.filter((r) => r.kind === 'error');
        expect(errors, file.name).toEqual([]);
        expect(calls.length, `${file.name} yields calls`).toBeGreaterThan(0);
        for (const call of calls) expectWellFormed(call, format);
      }
    }
  },

  junkIsAnError(format: Format, options: ConformanceOptions = {}): void {
    const parser = format.createParser(CTX);
    for (const junk of ['', ' ', '\u0000\u0001\u0002', 'hello world', 'x'.repeat(100_000), '\uFFFD'.repeat(80), ',,,,,,,,', '"', '\u0002\u0003']) {
      const r = parser(junk);
      expect(['error', 'skip'], JSON.stringify(junk.slice(0, 20))).toContain(r.kind);
    }
    // Random strings and mutated fixture records: never a throw, always one of the four results.
    const good = fixtureFiles(format, options.fixturesDir).filter((f) => !f.bad).flatMap((f) => frame(format, readFileSync(f.path, 'utf8')));
    const mutated = fc.tuple(fc.constantFrom(...good), fc.nat(), fc.string({ maxLength: 5 })).map(([line, at, insert]) => {
      const i = at % (line.length + 1);
      return line.slice(0, i) + insert + line.slice(i + insert.length);
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), mutated), (input) => {
        const r = format.createParser(CTX)(input);
        expect(['call', 'event', 'skip', 'error']).toContain(r.kind);
        if (r.kind === 'call') expectWellFormed(r.call, format);
      }),
      { numRuns: 500 },
    );
  },

  renderRoundTrips(format: Format): void {
    const step = (format.startPrecisionSeconds ?? 1) * 1000;
    const sims = generateCalls({ count: 200, seed: 7 }).map((s) => ({ ...s, startedAtMs: Math.floor(s.startedAtMs / step) * step }));
    const text = sims.map((s) => format.render(s, CTX).map((r) => frameRecord(format.framing, r)).join('')).join('');
    const parsed = parseAll(format, text, CTX);
    expect(parsed.results.filter((r) => r.kind === 'error')).toEqual([]);
    // A multi-leg format renders some calls as several legs: they are compared as logical calls.
    const calls = format.legKeys ? mergeLegs(parsed.calls, format.legKeys).map((l) => l.call) : parsed.calls;
    expect(calls.length).toBe(sims.length);
    calls.forEach((call, i) => {
      const sim = sims[i]!;
      expect(Date.parse(call.startedAt), `call ${i} start`).toBe(sim.startedAtMs);
      expect(call.direction).toBe(sim.direction);
      expect(call.talkSeconds).toBe(sim.answered ? sim.talkSeconds : 0);
      expect(call.disposition === 'answered').toBe(sim.answered);
    });
  },

  detectsItsOwnFixtures(format: Format, options: ConformanceOptions = {}): void {
    for (const file of fixtureFiles(format, options.fixturesDir).filter((f) => !f.bad)) {
      const sample = sampleRecords(readFileSync(file.path, 'utf8'));
      if (options.registered === false) expect(format.detect(sample), file.name).toBeGreaterThanOrEqual(0.8);
      else expect(detectFormat(sample, file.name).format.id, file.name).toBe(format.id);
    }
  },
};

/** Registers the shared suite for one format; every format's own test file calls it. */
export function describeConformance(format: Format, options: ConformanceOptions = {}): void {
  describe(`format ${format.id}: conformance`, () => {
    it('parses every fixture record, and every record of a .bad. fixture is an error', () => conformance.fixturesParse(format, options));
    it('answers junk and mutated records with an error, never a throw', () => conformance.junkIsAnError(format, options));
    it('parses back what it renders', () => conformance.renderRoundTrips(format));
    it('is detected from its own fixtures', () => conformance.detectsItsOwnFixtures(format, options));
  });
}
