import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allFormats, getFormat } from '../src/formats/registry.js';
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
    // Multi-leg formats render some calls as several legs: their calls are the logical calls.
    const merge = getFormat(format).legKeys ? ['--merge-legs'] : [];
    const parsed = await runCli(['parse', '--format', format, ...merge, '--tz', 'Europe/London', '--ref-date', '2026-03-29', '-'], { input: sim.stdout });
    expect(parsed.stderr).toBe('');
    const calls = parsed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { format: string; startedAt: string });
    expect(calls).toHaveLength(25);
    expect(new Set(calls.map((c) => c.format))).toEqual(new Set([format]));
  });
});

describe('calltrail parse --merge-legs', () => {
  const master = 'src/formats/asterisk-csv/fixtures/Master-13.csv';

  it('prints one object per CDR record without the flag, one per logical call with it', async () => {
    const legs = await runCli(['parse', '--format', 'asterisk-csv', '--tz', 'Europe/London', master]);
    expect(legs.code).toBe(0);
    expect(legs.stdout.trim().split('\n')).toHaveLength(14);
    const merged = await runCli(['parse', '--format', 'asterisk-csv', '--merge-legs', '--tz', 'Europe/London', master]);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toBe('');
    const calls = merged.stdout.trim().split('\n').map((l) => JSON.parse(l) as { startedAt: string; talkSeconds: number; answeredBy: string | null; legs: { callId: string }[] });
    expect(calls).toHaveLength(10);
    const ringGroup = calls.find((c) => c.startedAt === '2026-01-15T10:00:00+00:00')!;
    expect([ringGroup.legs.length, ringGroup.talkSeconds, ringGroup.answeredBy]).toEqual([3, 150, '202']);
    expect(calls.reduce((n, c) => n + c.legs.length, 0)).toBe(14);
  });

  it('leaves single-record formats as they are', async () => {
    const plain = await runCli(['parse', '--format', 'cdrstats-csv', '--tz', 'Europe/Madrid', 'src/formats/cdrstats-csv/fixtures/seed-004.csv']);
    const merged = await runCli(['parse', '--format', 'cdrstats-csv', '--merge-legs', '--tz', 'Europe/Madrid', 'src/formats/cdrstats-csv/fixtures/seed-004.csv']);
    expect(merged.stdout).toBe(plain.stdout);
  });
});
