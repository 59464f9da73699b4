import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../core/call.js';
import { describeConformance, parseAll } from '../conformance.js';
import { mitelCs5000 } from './format.js';


describeConformance(mitelCs5000);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-03-02' };
const minnesota = { timeZone: 'America/Chicago', referenceDate: '2012-04-08' };

function callsOf(text: string, ctx = london): Call[] {
  return parseAll(mitelCs5000, text, ctx).calls;
}

const summary = (c: Call) => [c.startedAt, c.endedAt, c.talkSeconds, c.disposition];

describe('mitel-cs5000: seed 001 sample', () => {
  it('reads the Q header date and the four records byte for byte', () => {
    const { calls, results } = parseAll(mitelCs5000, fixture('seed-001.txt'), minnesota);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'Q header (clock 17:01:24 04-07-2012)' });
    expect(calls).toHaveLength(4);
    expect(calls[0]).toEqual({
      format: 'mitel-cs5000',
      callId: null,
      direction: 'internal',
      startedAt: '2012-04-07T17:11:00-05:00',
      answeredAt: '2012-04-07T17:11:00-05:00',
      endedAt: '2012-04-07T17:14:34-05:00',
      ringSeconds: null,
      talkSeconds: 214,
      holdSeconds: null,
      durationSeconds: 214,
      disposition: 'answered',
      callerNumber: '1234',
      callerName: null,
      dialedNumber: '94567',
      calledNumber: '94567',
      extension: '1234',
      trunk: 'P0001',
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: { callType: 'NET', layout: 'cs5000', cost: 0 },
      raw: 'R   NET 1234  P0001 94567                        17:11 00:03:34 $00.00',
    });
    expect(calls.map((c) => [c.direction, c.extension, c.startedAt, c.talkSeconds])).toEqual([
      ['internal', '1234', '2012-04-07T17:11:00-05:00', 214],
      ['internal', '1234', '2012-04-07T17:16:00-05:00', 9],
      ['internal', '2345', '2012-04-07T17:21:00-05:00', 14],
      ['inbound', '3456', '2012-04-07T17:19:00-05:00', 296],
    ]);
    expect(calls[3]).toMatchObject({ callerNumber: null, dialedNumber: null, calledNumber: '3456', trunk: '90001' });
  });

  it('uses the reference date when no Q header has been seen', () => {
    const records = fixture('seed-001.txt').split('\n').slice(1).join('\n');
    const calls = callsOf(records, minnesota);
    expect(calls.map((c) => c.startedAt)).toEqual([
      '2012-04-08T17:11:00-05:00',
      '2012-04-08T17:16:00-05:00',
      '2012-04-08T17:21:00-05:00',
      '2012-04-08T17:19:00-05:00',
    ]);
  });
});

describe('mitel-cs5000: dates, midnight and rollover', () => {
  const calls = callsOf(fixture('cs5000-rollover.txt'));

  it('keeps calls that cross midnight on the day they started and rolls later records into the new year', () => {
    expect(calls.slice(0, 7).map(summary)).toEqual([
      ['2025-12-31T23:41:00+00:00', '2025-12-31T23:46:10+00:00', 310, 'answered'],
      ['2026-01-01T00:02:00+00:00', '2026-01-01T00:03:05+00:00', 65, 'answered'],
      ['2026-01-01T00:03:00+00:00', '2026-01-01T00:03:25+00:00', 0, 'no_answer'],
      ['2025-12-31T23:52:00+00:00', '2026-01-01T00:04:30+00:00', 750, 'answered'],
      ['2025-12-31T23:58:00+00:00', '2026-01-01T00:07:00+00:00', 540, 'answered'],
      ['2026-01-01T00:15:00+00:00', '2026-01-01T00:15:40+00:00', 40, 'answered'],
      ['2026-01-01T00:20:00+00:00', '2026-01-01T00:20:00+00:00', 0, 'unknown'],
    ]);
  });

  it('reads every field of an outbound record with an account code and cost', () => {
    expect(calls[0]).toMatchObject({
      direction: 'outbound',
      callerNumber: '1201',
      dialedNumber: '918005550199',
      calledNumber: '918005550199',
      extension: '1201',
      trunk: '92001',
      accountCode: '4321',
      durationSeconds: 310,
      ringSeconds: null,
      extra: { callType: 'TLD', layout: 'cs5000', cost: 0.3 },
    });
  });

  it('reads an unanswered ring-in (*****) with the trunk-disconnect mark as an abandoned call', () => {
    expect(calls[2]).toMatchObject({
      direction: 'inbound',
      extension: null,
      callerNumber: '02079460123',
      answeredAt: null,
      ringSeconds: 25,
      talkSeconds: 0,
      durationSeconds: 25,
      disposition: 'no_answer',
      extra: { callType: 'IN', trunkDisconnect: true },
    });
  });

  it('accepts a record with trailing spaces trimmed and LF only, and an empty number', () => {
    expect(calls[4]!.raw).toBe('R   TLD 1204  92004 902079460999                 23:58 00:09:00 $00.45');
    expect(calls[5]).toMatchObject({ dialedNumber: null, calledNumber: null, extension: '1205' });
  });

  it('takes the date of a Q header met mid-stream, and dates a call longer than a day by its end', () => {
    expect(calls[7]!.startedAt).toBe('2026-01-02T08:01:00+00:00');
    expect(calls[8]).toMatchObject({
      startedAt: '2026-01-01T07:30:00+00:00',
      endedAt: '2026-01-02T10:15:10+00:00',
      talkSeconds: 96310,
      accountCode: '77',
      extra: { cost: 123 },
    });
    expect(calls[9]).toMatchObject({ talkSeconds: 90, extra: { costOverflow: true } });
    expect(calls[9]!.extra.cost).toBeUndefined();
  });

  it('follows the London DST changes', () => {
    expect(calls.slice(10).map((c) => [c.startedAt, c.endedAt, c.durationSeconds])).toEqual([
      ['2026-03-29T00:50:00+00:00', '2026-03-29T02:20:00+01:00', 1800],
      ['2026-03-29T02:15:00+01:00', '2026-03-29T02:17:00+01:00', 120],
      ['2026-10-25T01:20:00+01:00', '2026-10-25T01:10:00+00:00', 3000],
      ['2026-10-25T01:25:00+01:00', '2026-10-25T01:25:15+01:00', 15],
    ]);
  });

  it('rolls the date over when the stream passes midnight without a new header', () => {
    const text = [
      'Q   Station Message Detailed Recording                          17:30:00 06-10-2026',
      'R   TLD 1201  92001 918005550199                 17:31 00:01:00 $00.05',
      'R   TLD 1201  92001 918005550199                 08:05 00:01:00 $00.05',
      'R   TLD 1201  92001 918005550199                 23:59 00:01:00 $00.05',
      'R   TLD 1201  92001 918005550199                 23:30 00:45:00 $00.05',
      'R   TLD 1201  92001 918005550199                 00:20 00:01:00 $00.05',
    ].join('\r\n');
    expect(callsOf(text).map((c) => c.startedAt)).toEqual([
      '2026-06-10T17:31:00+01:00',
      '2026-06-11T08:05:00+01:00',
      '2026-06-11T23:59:00+01:00',
      '2026-06-11T23:30:00+01:00',
      '2026-06-12T00:20:00+01:00',
    ]);
  });
});

describe('mitel-cs5000: Axxess 80-character variant', () => {
  const { calls, results } = parseAll(mitelCs5000, fixture('axxess.txt'), london);

  it('skips the Station and TYP page headers, form feed included', () => {
    expect(results.filter((r) => r.kind === 'skip')).toHaveLength(4);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'Axxess page header' });
    expect(calls).toHaveLength(8);
  });

  it('reads S=nnn durations, costs and account codes by column', () => {
    expect(calls[0]).toMatchObject({
      direction: 'outbound',
      startedAt: '2026-03-02T09:15:00+00:00',
      endedAt: '2026-03-02T09:17:05+00:00',
      talkSeconds: 125,
      extension: '1001',
      trunk: '92001',
      dialedNumber: '16029619000',
      accountCode: '12345',
      extra: { callType: 'TLD', layout: 'axxess', cost: 1.25 },
    });
    expect(calls[1]).toMatchObject({ direction: 'inbound', callerNumber: '6025551212', extension: '1002', talkSeconds: 42 });
    expect(calls[2]).toMatchObject({ disposition: 'no_answer', ringSeconds: 18, extension: null, extra: { trunkDisconnect: true } });
    expect(calls[3]).toMatchObject({ talkSeconds: 7, dialedNumber: '9615000' });
    expect(calls[3]!.extra.cost).toBeUndefined();
    expect(calls[4]).toMatchObject({ dialedNumber: '18005550199', extra: { callType: '000', digitsTruncated: true } });
  });

  it('rolls past midnight from the reference date and reads HH:MM elapsed times', () => {
    expect(calls.slice(5, 7).map((c) => c.startedAt)).toEqual(['2026-03-02T23:59:00+00:00', '2026-03-03T00:01:00+00:00']);
    expect(calls[7]).toMatchObject({ talkSeconds: 280 * 3600 + 5 * 60, extra: { costOverflow: true } });
  });
});

describe('mitel-cs5000: bad records', () => {
  const parse = mitelCs5000.createParser(london);
  const good = 'R   TLD 1201  92001 918005550199                 23:41 00:05:10 $00.30 4321';

  it('names the column that is wrong', () => {
    expect(parse(good).kind).toBe('call');
    expect(parse(good.slice(0, 60))).toEqual({ kind: 'error', error: 'record is 60 characters, truncated before the end of the elapsed time [55:63]' });
    expect(parse(good.replace('23:41', '24:41'))).toEqual({ kind: 'error', error: 'start time [49:54] "24:41" is not a time of day' });
    expect(parse(good.replace('00:05:10', '00:05:70'))).toEqual({ kind: 'error', error: 'elapsed [55:63] "00:05:70" is not hh:mm:ss, S=nnnnnn or HH:MM' });
    expect(parse(good.replace('$00.30', '$0.300'))).toEqual({ kind: 'error', error: 'cost [64:70] "$0.300" is not $dd.dd' });
    expect(parse(good.replace('4321', '43A1'))).toEqual({ kind: 'error', error: 'account code [70:] "43A1" is not digits' });
    expect(parse('Q   Station Message Detailed Recording')).toEqual({
      kind: 'error',
      error: 'Q header has no time and date (hh:mm:ss MM-DD-YYYY) at its end',
    });
    expect(parse('hello world')).toEqual({ kind: 'error', error: 'record is 11 characters, truncated before the elapsed time [50:59]' });
  });

  it('turns every record of the bad fixture into an error', () => {
    const { results } = parseAll(mitelCs5000, fixture('cs5000.bad.txt'), london);
    expect(results).toHaveLength(15);
    expect(results.every((r) => r.kind === 'error')).toBe(true);
  });
});

describe('mitel-cs5000: render and detect', () => {
  it('renders a Q header stamped with the end of the call, then an 84-character record', () => {
    const lines = mitelCs5000.render(
      {
        index: 0,
        direction: 'outbound',
        startedAtMs: Date.UTC(2026, 6, 1, 9, 30),
        ringSeconds: 4,
        talkSeconds: 95,
        answered: true,
        extension: '214',
        externalNumber: '02079460123',
        callerName: '',
        trunk: '03',
        accountCode: '5555',
      },
      london,
    );
    expect(lines).toEqual([
      'Q   Station Message Detailed Recording                          10:31:35 07-01-2026 ',
      'R   TLD 214   92003 02079460123                  10:30 00:01:35 $00.10 5555         ',
    ]);
    expect(lines.every((l) => l.length === 84)).toBe(true);
  });

  it('claims its own records and not other formats', () => {
    expect(mitelCs5000.detect(fixture('seed-001.txt').split('\n').filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    expect(mitelCs5000.detect(fixture('axxess.txt').split(/\r?\n/).filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    const others = [
      '127.0.0.1,1,96aa82fe-7bd1-11e5-a230-5c514f6a0f72,904151440,CallerIDName,+34798400122,34,,,2015-10-21 12:13:10,55,50,,,,16,,1,,1000,,,,,{}',
      '2012-03-09 01:20:40 |IN | 2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX |CHRIS R MOBILE| 00044161XXXXXXX |CHRIS DID | 000000000000 |RINGING |',
      '01/05/26 10:31AM   201 01 <I>07700900123                 0\'05 00:01\'35            ',
    ];
    expect(mitelCs5000.detect(others)).toBeLessThan(0.3);
  });
});
