import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromLocal, isoInZone } from '../../core/time.js';
import { describeConformance, parseAll } from '../conformance.js';
import type { ParseResult } from '../format.js';
import { siemensHipath } from './format.js';


describeConformance(siemensHipath);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
const errorOf = (r: ParseResult): string => (r.kind === 'error' ? r.error : `not an error: ${r.kind}`);

describe('siemens-hipath', () => {
  it('skips the type 0 ringing notice and reads an answered incoming call, start = end − ring − duration', () => {
    const { calls, results } = parseAll(siemensHipath, fixture('hipath-compressed.txt'), london);
    expect(results[0]).toEqual({
      kind: 'skip',
      reason: 'call type 0: information record sent when an incoming call starts ringing, not a call',
    });
    expect(calls).toHaveLength(16);
    expect(calls[0]).toEqual({
      format: 'siemens-hipath',
      callId: null,
      direction: 'inbound',
      startedAt: '2026-01-14T09:01:55+00:00',
      answeredAt: '2026-01-14T09:02:00+00:00',
      endedAt: '2026-01-14T09:05:12+00:00',
      ringSeconds: 5,
      talkSeconds: 192,
      holdSeconds: null,
      durationSeconds: 197,
      disposition: 'answered',
      callerNumber: '02079460123',
      callerName: null,
      dialedNumber: null,
      calledNumber: null,
      extension: '201',
      trunk: '1',
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: { callType: '1', chargeUnits: 0 },
      raw: '14.01.2609:05:12  1   20100:0500:03:1202079460123                        0 1',
    });
  });

  it('reads an outgoing call with charge units, account code and MSN', () => {
    const { calls } = parseAll(siemensHipath, fixture('hipath-compressed.txt'), london);
    expect(calls[1]).toMatchObject({
      direction: 'outbound',
      startedAt: '2026-01-14T09:08:30+00:00',
      answeredAt: '2026-01-14T09:08:30+00:00',
      endedAt: '2026-01-14T09:12:40+00:00',
      ringSeconds: null,
      talkSeconds: 250,
      disposition: 'answered',
      callerNumber: '202',
      dialedNumber: '01632960001',
      calledNumber: '01632960001',
      extension: '202',
      trunk: '2',
      accountCode: '4711',
      extra: { callType: '2', chargeUnits: 4, msn: '4930123456' },
    });
    expect(calls[10]).toMatchObject({ trunk: '12', accountCode: 'PROJ-77' });
  });

  it('keeps suppressed digits, unanswered and withheld calls, and every call type', () => {
    const { calls } = parseAll(siemensHipath, fixture('hipath-compressed.txt'), london);
    expect(calls[2]).toMatchObject({ dialedNumber: '0163296????', extra: { digitsSuppressed: true } });
    expect(calls[3]).toMatchObject({
      direction: 'inbound',
      callerNumber: null,
      ringSeconds: 22,
      talkSeconds: 0,
      disposition: 'no_answer',
      answeredAt: null,
      startedAt: '2026-01-14T09:29:53+00:00',
      extra: { callType: '1' },
    });
    expect(calls.map((c) => [c.extra.callType, c.direction])).toEqual([
      ['1', 'inbound'],
      ['2', 'outbound'],
      ['2', 'outbound'],
      ['1', 'inbound'],
      ['5', 'inbound'],
      ['6', 'outbound'],
      ['9', 'unknown'],
      ['2', 'internal'],
      ['1', 'inbound'],
      ['2', 'outbound'],
      ['2', 'outbound'],
      ['3', 'inbound'],
      ['7', 'inbound'],
      ['8', 'outbound'],
      ['4', 'outbound'],
      ['21', 'outbound'],
    ]);
    expect(calls[7]).toMatchObject({ trunk: null, dialedNumber: '209', extension: '208', talkSeconds: 45 });
  });

  it('strips DLE/STX/ETX/XON/XOFF before parsing and keeps them in raw', () => {
    const { calls, results } = parseAll(siemensHipath, fixture('hipath-compressed.txt'), london);
    expect(calls[8]).toMatchObject({ extension: '1201', trunk: '4', callerNumber: '5551234', raw: expect.stringMatching(/^\u0002.*\u0003$/) });
    expect(results[10]).toEqual({ kind: 'skip', reason: 'serial control bytes only' });
    expect(calls[9]).toMatchObject({ dialedNumber: '02079460123', talkSeconds: 30, endedAt: '2026-01-14T11:30:00+00:00' });
    expect(calls[9]!.raw).toContain('\u0013\u0011');
  });

  it('computes starts across midnight, New Year, both DST changes and calls over a day', () => {
    const { calls } = parseAll(siemensHipath, fixture('new-year-dst.txt'), london);
    expect(calls.map((c) => [c.startedAt, c.endedAt, c.durationSeconds])).toEqual([
      ['2025-12-31T23:59:20+00:00', '2026-01-01T00:00:30+00:00', 70],
      ['2025-12-31T23:59:00+00:00', '2025-12-31T23:59:59+00:00', 59],
      ['2026-01-15T08:00:00+00:00', '2026-01-16T10:00:00+00:00', 26 * 3600],
      ['2026-03-29T00:58:30+00:00', '2026-03-29T02:00:30+01:00', 120],
      // 01:10 happens twice that night: the first (summer-time) one is taken.
      ['2026-10-25T00:40:00+01:00', '2026-10-25T01:10:00+01:00', 1800],
      ['2026-10-25T01:40:00+01:00', '2026-10-25T02:10:00+00:00', 5400],
    ]);
  });

  it('names the column of what is wrong', () => {
    const { results } = parseAll(siemensHipath, fixture('hipath.bad.txt'), london);
    expect(results.map(errorOf)).toEqual([
      'record is 60 characters, shorter than the 76 of the layout (cut off?)',
      'end date [0:8] "31.02.26" is not a real date',
      'end time [8:16] "25:05:12" is not hh:mm:ss',
      'duration [30:38] "00:3:120" is not hh:mm:ss',
      'number [38:63] "0207946ABCD" is not a telephone number',
      'charge units [63:74] "x1" is not a number',
      'call type [74:76] "  " is not a code',
      'ring time [25:30] " 0:5x" is not mm:ss',
      'end date [0:8] "14/01/26" is not dd.mm.yy',
    ]);
  });

  it('claims its own records and not Panasonic or CSV lines', () => {
    expect(siemensHipath.detect(fixture('hipath-compressed.txt').split(/\r?\n/).filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    expect(siemensHipath.detect(["01/14/26 09:02AM 201   01 <I>02079460123            0'05 00:03'12"])).toBeLessThan(0.3);
    expect(siemensHipath.detect(['127.0.0.1,1,id,100,,200,,,,2026-03-01 10:00:00,20,5,,,,16,,2,,,,,,,{}'])).toBeLessThan(0.3);
  });

  it('converts local end times like core/time.ts in any zone, DST days included', () => {
    const zones = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC', 'America/St_Johns'];
    const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2025, 11, 25), max: Date.UTC(2026, 11, 31) }),
        fc.integer({ min: 0, max: 99 * 60 + 59 }),
        fc.integer({ min: 0, max: 30 * 3600 }),
        (zone, naive, ring, talk) => {
          const d = new Date(Math.floor(naive / 1000) * 1000);
          const local = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
          const line =
            `${pad(local.day)}.${pad(local.month)}.${pad(local.year % 100)}${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}` +
            `  1   201${pad(Math.floor(ring / 60))}:${pad(ring % 60)}${pad(Math.floor(talk / 3600))}:${pad(Math.floor(talk / 60) % 60)}:${pad(talk % 60)}` +
            `${'02079460123'.padEnd(25)}${'0'.padStart(11)} 1`;
          const r = siemensHipath.createParser({ timeZone: zone, referenceDate: '2026-01-20' })(line);
          const end = fromLocal(local, zone);
          expect(r.kind === 'call' && [r.call.startedAt, r.call.endedAt]).toEqual([
            isoInZone(end.epochMs - (ring + talk) * 1000, zone),
            isoInZone(end.epochMs, zone),
          ]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
