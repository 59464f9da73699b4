import { describe, expect, it } from 'vitest';
import { emptyCall } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { Directory, annotateCall, parseDirectoryCsv } from './directory.js';

const CSV = [
  'extension,person,department,cost_centre,valid_from,valid_to',
  '201,Alice Smith,Sales,CC-100,,2026-02-28',
  '201,Bob Jones,Support,CC-200,2026-03-01,',
  '202,,Reception,CC-900,,',
  '"203","Carol, Jr.",Finance,CC-300,2026-01-01,2026-12-31',
].join('\n');

describe('directory', () => {
  const directory = parseDirectoryCsv(CSV);

  it('finds who had an extension on the day of the call', () => {
    expect(directory.lookup('201', '2026-02-28T23:59:00+00:00')?.person).toBe('Alice Smith');
    expect(directory.lookup('201', '2026-03-01T00:00:00+00:00')).toEqual({ extension: '201', person: 'Bob Jones', department: 'Support', costCentre: 'CC-200', validFrom: '2026-03-01', validTo: null });
    expect(directory.lookup('201', '2025-01-01')?.person).toBe('Alice Smith');
    expect(directory.lookup('202', '2030-01-01T10:00:00-05:00')?.department).toBe('Reception');
    expect(directory.lookup('203', '2027-01-01T00:00:00+00:00')).toBeNull();
    expect(directory.lookup('203', '2026-06-01T00:00:00+00:00')?.person).toBe('Carol, Jr.');
    expect(directory.lookup('999', '2026-06-01T00:00:00+00:00')).toBeNull();
    // The call's local date counts: 23:30 on 28 Feb in New York is 1 March in UTC.
    expect(directory.lookup('201', '2026-02-28T23:30:00-05:00')?.person).toBe('Alice Smith');
  });

  it('puts person, department and cost centre on calls', () => {
    const call = emptyCall('test', '2026-03-02T09:15:00+00:00', '');
    call.extension = '201';
    expect(annotateCall(call, directory).extra).toEqual({ person: 'Bob Jones', department: 'Support', costCentre: 'CC-200' });
  });

  it('reports overlapping periods and bad rows with their line numbers', () => {
    const bad = [
      'extension,person,department,cost_centre,valid_from,valid_to',
      '201,Alice,Sales,CC-1,2026-01-01,2026-03-31',
      '201,Bob,Sales,CC-1,2026-03-31,',
      '20A,Eve,Sales,CC-1,,',
      ',Nobody,Sales,CC-1,,',
      '204,Dan,Sales,CC-1,2026-02-30,',
      '205,Fay,Sales,CC-1,2026-05-01,2026-04-01',
      '206,,,,,',
    ].join('\n');
    let err: unknown;
    try {
      parseDirectoryCsv(bad, 'people.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CalltrailError);
    expect((err as CalltrailError).details).toEqual([
      { line: 3, message: 'extension 201: 2026-03-31 to (open) overlaps 2026-01-01 to 2026-03-31 (Alice)' },
      { line: 4, message: 'extension "20A" must be digits only' },
      { line: 5, message: 'empty extension' },
      { line: 6, message: 'valid_from "2026-02-30" is not a date (YYYY-MM-DD)' },
      { line: 7, message: 'valid_to 2026-04-01 is before valid_from 2026-05-01' },
      { line: 8, message: 'extension 206 has no person, department or cost centre' },
    ]);
    expect((err as CalltrailError).message).toMatch(/^people\.csv: 6 problem\(s\): line 3: extension 201/);
  });

  it('takes entries through add, as the API will', () => {
    const d = new Directory();
    d.add({ extension: '300', person: 'Gil', department: null, costCentre: null, validFrom: null, validTo: '2026-01-31' });
    d.add({ extension: '300', person: 'Hal', department: null, costCentre: null, validFrom: '2026-02-01', validTo: null });
    expect(() => d.add({ extension: '300', person: 'Ivy', department: null, costCentre: null, validFrom: '2026-06-01', validTo: null })).toThrow('extension 300: 2026-06-01 to (open) overlaps 2026-02-01 to (open) (Hal)');
    expect(d.entries().map((e) => e.person)).toEqual(['Gil', 'Hal']);
  });
});
