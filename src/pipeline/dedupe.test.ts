import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callIdKey, normalizeRecordText, OrdinalTracker, recordKey, recordTextHash } from './dedupe.js';

describe('dedupe keys', () => {
  it('hash the record text with line endings and trailing spaces normalized', () => {
    expect(recordTextHash('01/02/26 10:15AM  201 01 123   \r')).toBe(recordTextHash('01/02/26 10:15AM  201 01 123'));
    expect(recordTextHash('a\r\nb  ')).toBe(recordTextHash('a\nb'));
    expect(recordTextHash('01/02/26 10:15AM  201 01 123')).not.toBe(recordTextHash('01/02/26 10:15AM  201 01 124'));
  });

  it('separate identical records by ordinal, and calls by id and start', () => {
    const h = recordTextHash('same line');
    const at = Date.UTC(2026, 0, 1, 10);
    expect(recordKey('pbx', at, h, 0)).not.toBe(recordKey('pbx', at, h, 1));
    expect(recordKey('pbx', at, h, 0)).not.toBe(recordKey('other', at, h, 0));
    expect(recordKey('pbx', at, h, 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Keys lead with the start time, so later calls sort after earlier ones in the index.
    expect(recordKey('pbx', at + 1000, h, 0) > recordKey('pbx', at, h, 0)).toBe(true);
    expect(callIdKey('pbx', '42', Date.parse('2026-01-01T10:00:00+01:00'))).toBe(callIdKey('pbx', '42', Date.parse('2026-01-01T09:00:00+00:00')));
    expect(callIdKey('pbx', '42', at)).not.toBe(callIdKey('pbx', '42', at + 86_400_000));
    expect(callIdKey('pbx', '42', at)).not.toBe(callIdKey('pbx', '43', at));
  });

  it('count identical records within the window', () => {
    const t = new OrdinalTracker(60_000);
    expect([t.next('a', 0), t.next('a', 1000), t.next('b', 1000), t.next('a', 2000)]).toEqual([0, 1, 0, 2]);
    expect(t.next('a', 2000 + 60_001)).toBe(0); // a quiet spell longer than the window starts again
  });
});

describe('normalizeRecordText', () => {
  it('trims spaces, tabs and CRs from every line end, as the regular expression it replaces', () => {
    const byRegex = (raw: string): string => raw.replace(/[ \t\r]+(?=\n|$)/g, '');
    const text = fc.string({ unit: fc.constantFrom('a', '1', ' ', '\t', '\r', '\n', 'é'), maxLength: 40 });
    fc.assert(fc.property(text, (raw) => normalizeRecordText(raw) === byRegex(raw)), { numRuns: 2000 });
    expect(normalizeRecordText('14.01.26 201   \r\n  x \t')).toBe('14.01.26 201\n  x');
  });
});
