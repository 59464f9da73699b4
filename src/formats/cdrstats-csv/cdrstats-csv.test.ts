import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConformance, parseAll } from '../conformance.js';
import { cdrstatsCsv } from './format.js';

describeConformance(cdrstatsCsv);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const madrid = { timeZone: 'Europe/Madrid', referenceDate: '2015-10-22' };

describe('cdrstats-csv', () => {
  it('reads the five sample rows of seed 004 with every field in place', () => {
    const { calls, results } = parseAll(cdrstatsCsv, fixture('seed-004.csv'), madrid);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'header line' });
    expect(calls).toHaveLength(5);
    const first = calls[0]!;
    expect(first).toMatchObject({
      format: 'cdrstats-csv',
      callId: '96aa82fe-7bd1-11e5-a230-5c514f6a0f72',
      direction: 'inbound',
      startedAt: '2015-10-21T12:13:10+02:00',
      answeredAt: '2015-10-21T12:13:15+02:00',
      endedAt: '2015-10-21T12:14:05+02:00',
      ringSeconds: 5,
      talkSeconds: 50,
      durationSeconds: 55,
      disposition: 'answered',
      hangupCause: 16,
      callerNumber: '904151440',
      callerName: 'CallerIDName',
      dialedNumber: '+34798400122',
      accountCode: '1000',
      extra: { sourceSwitch: '127.0.0.1', cdrSourceType: '1', dialcode: '34' },
      raw: '127.0.0.1,1,96aa82fe-7bd1-11e5-a230-5c514f6a0f72,904151440,CallerIDName,+34798400122,34,,,2015-10-21 12:13:10,55,50,,,,16,,1,,1000,,,,,{}',
    });
    expect(calls.map((c) => [c.callId!.slice(0, 8), c.talkSeconds, c.durationSeconds])).toEqual([
      ['96aa82fe', 50, 55],
      ['c9135e4a', 10, 15],
      ['cfaf8b56', 34, 41],
      ['3c64a168', 11, 16],
      ['41b20dd9', 5, 8],
    ]);
  });

  it('maps causes to dispositions when nobody talked', () => {
    const row = (cause: string, billsec = '0') =>
      `127.0.0.1,1,id-1,100,,200,,,,2026-03-01 10:00:00,20,${billsec},,,,${cause},,2,,,,,,,{}`;
    const disposition = (cause: string, billsec?: string) => {
      const r = cdrstatsCsv.createParser(madrid)(row(cause, billsec));
      return r.kind === 'call' ? r.call.disposition : r.kind;
    };
    expect(disposition('17')).toBe('busy');
    expect(disposition('19')).toBe('no_answer');
    expect(disposition('16')).toBe('no_answer');
    expect(disposition('21')).toBe('rejected');
    expect(disposition('34')).toBe('failed');
    expect(disposition('')).toBe('unknown');
    expect(disposition('16', '12')).toBe('answered');
  });

  it('rejects bad rows with the reason', () => {
    const parse = cdrstatsCsv.createParser(madrid);
    const base = '127.0.0.1,1,id-1,100,,200,,,,2026-03-01 10:00:00,20,5,,,,16,,2,,,,,,,{}';
    expect(parse('a,b,c')).toEqual({ kind: 'error', error: 'expected 25 fields, found 3' });
    expect(parse(base.replace('2026-03-01 10:00:00', '2026-02-30 10:00:00'))).toEqual({
      kind: 'error',
      error: 'starting_date "2026-02-30 10:00:00" is not a real date and time',
    });
    expect(parse(base.replace(',20,5,', ',20,x,'))).toEqual({ kind: 'error', error: 'billsec "x" is not a whole number of seconds' });
    expect(parse(base.replace(',20,5,', ',5,20,'))).toEqual({ kind: 'error', error: 'billsec 20 exceeds duration 5' });
    expect(parse(base.replace('id-1', ''))).toEqual({ kind: 'error', error: 'callid is empty' });
    expect(parse(base.replace(',{}', ',"{"a":1}'))).toEqual({ kind: 'error', error: 'text after the closing quote of field 25' });
    expect(parse(base.replace(',2,,', ',7,,'))).toEqual({ kind: 'error', error: 'direction "7" is not 0, 1 or 2' });
  });

  it('honours an offset written in the record over the switch zone', () => {
    const r = cdrstatsCsv.createParser(madrid)('127.0.0.1,1,id-9,100,,200,,,,2026-03-01T10:00:00Z,20,5,,,,16,,2,,,,,,,{}');
    expect(r.kind === 'call' && [r.call.startedAt, r.call.endedAt]).toEqual(['2026-03-01T10:00:00+00:00', '2026-03-01T10:00:20+00:00']);
  });
});
