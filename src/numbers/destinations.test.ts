import { describe, expect, it } from 'vitest';
import { CalltrailError } from '../core/errors.js';
import { DestinationTrie, defaultDestinations, destinationTable, loadDestinationsCsv, parseDestinationsCsv } from './destinations.js';

function problems(fn: () => unknown): { message: string; details: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof CalltrailError) return { message: err.message, details: err.details };
    throw err;
  }
  throw new Error('expected an error');
}

describe('destination table', () => {
  const csv = [
    'prefix,destination',
    '44,United Kingdom',
    '447,"United Kingdom - Mobile"',
    '4477,"United Kingdom - Mobile - Vodafone"',
    '34,Spain',
    '"346","Spain - Mobile, all networks"',
    '',
  ].join('\r\n');

  it('matches the longest prefix, overlaps being the point', () => {
    const table = loadDestinationsCsv(csv);
    expect(table.size).toBe(5);
    expect(table.lookup('447700900123')).toEqual({ prefix: '4477', name: 'United Kingdom - Mobile - Vodafone' });
    expect(table.lookup('447400123456')).toEqual({ prefix: '447', name: 'United Kingdom - Mobile' });
    expect(table.lookup('442079460123')).toEqual({ prefix: '44', name: 'United Kingdom' });
    expect(table.lookup('34650104877')).toEqual({ prefix: '346', name: 'Spain - Mobile, all networks' });
    expect(table.lookup('4')).toBeNull();
    expect(table.lookup('12015550123')).toBeNull();
    expect(table.lookup('')).toBeNull();
    expect(table.lookup('44x')).toEqual({ prefix: '44', name: 'United Kingdom' });
    expect([...table.entries()].map((e) => e.prefix)).toEqual(['34', '346', '44', '447', '4477']);
  });

  it('reports every bad row of a CSV file with its line number', () => {
    const bad = ['prefix,destination', '44,United Kingdom', ',Nowhere', '+33,France', '3 3,France', '44,Britain', '49,', '44,United Kingdom', '4A,X', '"5,Y'].join('\n');
    const e = problems(() => parseDestinationsCsv(bad, 'rates.csv'));
    expect(e.details).toEqual([
      { line: 3, message: 'empty prefix' },
      { line: 4, message: `prefix "+33" must be digits only (no '+', spaces, letters, '*' or '#')` },
      { line: 5, message: `prefix "3 3" must be digits only (no '+', spaces, letters, '*' or '#')` },
      { line: 6, message: 'prefix 44 is already "United Kingdom" (line 2), not "Britain"' },
      { line: 7, message: 'empty destination' },
      { line: 9, message: `prefix "4A" must be digits only (no '+', spaces, letters, '*' or '#')` },
      { line: 10, message: 'unbalanced quote in field 1' },
    ]);
    expect(e.message).toMatch(/^rates\.csv: 7 problem\(s\): line 3: empty prefix; line 4: /);
  });

  it('needs the header', () => {
    expect(problems(() => parseDestinationsCsv('44,United Kingdom\n')).message).toBe('destinations.csv: line 1: missing column(s) prefix, destination (found 44, united kingdom)');
    expect(problems(() => parseDestinationsCsv('')).message).toBe('destinations.csv: line 1: expected a header row with the columns prefix, destination');
  });

  it('builds from rows with the same checks', () => {
    expect(destinationTable([{ prefix: '1', name: 'NANP' }]).lookup('12015550123')).toEqual({ prefix: '1', name: 'NANP' });
    expect(problems(() => destinationTable([{ prefix: '1', name: 'NANP' }, { prefix: '1', name: 'USA' }])).details).toEqual([{ line: 2, message: 'prefix 1 is already "NANP" (row 1), not "USA"' }]);
  });

  it('grows past its first allocation and replaces names', () => {
    const t = new DestinationTrie();
    for (let i = 0; i < 5000; i++) t.set(String(100000 + i * 7), `D${i}`);
    t.set('100000', 'first');
    expect(t.size).toBe(5000);
    expect(t.lookup('1000000')).toEqual({ prefix: '100000', name: 'first' });
    expect(t.lookup('10000712')).toEqual({ prefix: '100007', name: 'D1' });
  });
});

describe('default destinations from libphonenumber-js metadata', () => {
  const table = defaultDestinations();
  it('names every country and mobile ranges where the metadata tells them', () => {
    expect(table.lookup('442079460123')).toEqual({ prefix: '44', name: 'United Kingdom' });
    expect(table.lookup('447400123456')).toEqual({ prefix: '4474', name: 'United Kingdom - Mobile' });
    expect(table.lookup('34650104877')).toEqual({ prefix: '346', name: 'Spain - Mobile' });
    expect(table.lookup('34912345678')).toEqual({ prefix: '34', name: 'Spain' });
    expect(table.lookup('4915112345678')).toEqual({ prefix: '4915', name: 'Germany - Mobile' });
    expect(table.lookup('12015550123')).toEqual({ prefix: '1', name: 'United States' });
    expect(table.lookup('14165550123')).toEqual({ prefix: '1416', name: 'Canada' });
    expect(table.lookup('12684601234')).toEqual({ prefix: '1268', name: 'Antigua & Barbuda' });
    expect(table.lookup('77012345678')).toEqual({ prefix: '770', name: 'Kazakhstan - Mobile' });
    expect(table.lookup('73432123456')).toEqual({ prefix: '7', name: 'Russia' });
    expect(table.lookup('80012345678')).toEqual({ prefix: '800', name: 'International Freephone' });
    expect(table.lookup('999')).toBeNull();
  });

  it('covers every calling code', async () => {
    const { callingCodes, nonGeographicCodes } = await import('./metadata.js');
    for (const [code] of callingCodes()) expect(table.get(code), code).not.toBeNull();
    for (const code of nonGeographicCodes()) expect(table.get(code), code).not.toBeNull();
  });
});
