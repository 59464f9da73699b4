import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allFormats } from '../src/formats/registry.js';
import { runCli } from './support/cli.js';

// The formats through the command line: detection on a mixed directory, and the simulator's
// output parsed back, for every built-in format.

const dir = mkdtempSync(join(tmpdir(), 'calltrail-mixed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixtures = allFormats().flatMap((format) => {
  const folder = join('src/formats', format.id, 'fixtures');
  return readdirSync(folder)
    .filter((name) => !name.includes('.bad.') && !name.endsWith('.md'))
    .map((name) => {
      const copy = join(dir, `${format.id}--${name}`);
      copyFileSync(join(folder, name), copy);
      return { format: format.id, file: copy };
    });
});

describe('calltrail parse --format auto on a mixed directory', () => {
  it.each(fixtures.map((f) => [basename(f.file), f.format, f.file]))('%s is read as %s', async (_name, format, file) => {
    const r = await runCli(['parse', '--format', 'auto', '--tz', 'Europe/London', '--ref-date', '2026-01-20', file]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(JSON.stringify({ detected: format }));
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(0);
  });
});

describe('calltrail simulate | calltrail parse', () => {
  it.each(allFormats().map((f) => [f.id]))('%s: 25 simulated calls parse back to 25 calls', async (format) => {
    const sim = await runCli(['simulate', '--format', format, '--count', '25', '--seed', '5', '--start', '2026-03-28T22:00:00', '--tz', 'Europe/London']);
    expect(sim.code).toBe(0);
    const parsed = await runCli(['parse', '--format', format, '--tz', 'Europe/London', '--ref-date', '2026-03-29', '-'], { input: sim.stdout });
    expect(parsed.stderr).toBe('');
    const calls = parsed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { format: string; startedAt: string });
    expect(calls).toHaveLength(25);
    expect(new Set(calls.map((c) => c.format))).toEqual(new Set([format]));
  });
});
