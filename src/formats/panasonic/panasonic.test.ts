import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromLocal, isoInZone } from '../../core/time.js';
import { describeConformance, parseAll } from '../conformance.js';
import type { ParseResult } from '../format.js';
import { panasonic } from './format.js';


describeConformance(panasonic);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
const callOf = (r: ParseResult) => {
  if (r.kind !== 'call') throw new Error(`expected a call, got ${JSON.stringify(r)}`);
  return r.call;
};

describe('panasonic', () => {
  it('reads the 80-column pattern field by field', () => {
    const { calls, results } = parseAll(panasonic, fixture('kx-tda-80col.txt'), london);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'page header' });
    expect(results[1]).toEqual({ kind: 'skip', reason: 'separator line' });
    expect(calls).toHaveLength(18);
    expect(calls[0]).toMatchObject({
      format: 'panasonic',
      callId: null,
      direction: 'inbound',
      startedAt: '2026-01-14T09:02:00+00:00',
      answeredAt: '2026-01-14T09:02:05+00:00',
      endedAt: '2026-01-14T09:05:17+00:00',
      ringSeconds: 5,
      talkSeconds: 192,
      durationSeconds: 197,
      disposition: 'answered',
      callerNumber: '02079460123',
      callerName: null,
      dialedNumber: null,
      calledNumber: null,
      extension: '201',
      trunk: '01',
      accountCode: null,
      extra: { layout: '80', dateOrder: 'MM/DD/YY', dateOrderSource: 'record' },
      raw: "01/14/26 09:02AM 201   01 <I>02079460123            0'05 00:03'12",
    });
    expect(calls[1]).toMatchObject({
      direction: 'outbound',
      startedAt: '2026-01-14T09:05:00+00:00',
      answeredAt: '2026-01-14T09:05:00+00:00',
      endedAt: '2026-01-14T09:06:45+00:00',
      ringSeconds: null,
      talkSeconds: 105,
      disposition: 'answered',
      callerNumber: '202',
      dialedNumber: '01632960001',
      calledNumber: '01632960001',
      accountCode: '4711',
    });
  });

  it('maps condition codes: NA is no answer, the others stay in extra', () => {
    const { calls } = parseAll(panasonic, fixture('kx-tda-80col.txt'), london);
    const na = calls[2]!;
    expect(na).toMatchObject({
      direction: 'inbound',
      disposition: 'no_answer',
      talkSeconds: 0,
      ringSeconds: 12,
      durationSeconds: 12,
      answeredAt: null,
      endedAt: '2026-01-14T09:07:12+00:00',
      callerName: 'ACME LTD',
      callerNumber: '02079460999',
      extra: { conditionCode: 'NA' },
    });
    expect(calls[4]!.extra).toMatchObject({ conditionCode: 'TR', transferred: true });
    expect(calls[4]!.callerNumber).toBeNull();
    expect(calls[6]!.extra.conditionCode).toBe('FW');
    expect(calls.map((c) => c.extra.conditionCode ?? '')).toContain('D0');
    expect(calls.map((c) => c.extra.conditionCode ?? '')).toContain('RM');
  });

  it('reads <D> DDI before <I>, names with digits, non-ASCII and apostrophes', () => {
    const { calls } = parseAll(panasonic, fixture('kx-tda-80col.txt'), london);
    expect(calls[3]).toMatchObject({ direction: 'inbound', dialedNumber: '5001', callerNumber: '07700900123', extra: { ddi: '5001' } });
    expect(calls[8]).toMatchObject({ callerName: 'MÜLLER', callerNumber: '004930123456' });
    expect(calls[9]).toMatchObject({ callerName: "DR. O'NEIL", callerNumber: '07700900123', ringSeconds: 65, extra: { transferred: true } });
  });

  it('tells internal calls (EXTnnn, no CO line) and skips status lines', () => {
    const { calls, results } = parseAll(panasonic, fixture('kx-tda-80col.txt'), london);
    expect(calls[5]).toMatchObject({ direction: 'internal', trunk: null, dialedNumber: '207', extension: '206', talkSeconds: 30 });
    expect(results[8]).toEqual({ kind: 'skip', reason: 'status record "LOG OUT" (no CO line), not a call' });
  });

  it('splits the digits keyed after a transfer and keeps secret-dialling dots', () => {
    const { calls } = parseAll(panasonic, fixture('kx-tda-80col.txt'), london);
    expect(calls[7]).toMatchObject({ dialedNumber: '0123.......', direction: 'outbound' });
    expect(calls[10]).toMatchObject({ dialedNumber: '01632960001', accountCode: '99', extra: { digitsAfterTransfer: '215', conditionCode: 'TR', transferred: true } });
  });

  it('strips a form feed before a record or a header; reads noon, midnight and calls over a day', () => {
    const { calls, results } = parseAll(panasonic, fixture('kx-tda-80col.txt'), london);
    expect(results[14]).toEqual({ kind: 'skip', reason: 'page header' });
    expect(calls[11]!.startedAt).toBe('2026-01-14T12:00:00+00:00');
    expect(calls[12]!.extension).toBe('C-02');
    expect(calls[14]!.startedAt).toBe('2026-01-14T23:59:00+00:00');
    const midnight = calls[15]!;
    expect(midnight.startedAt).toBe('2026-01-15T00:00:00+00:00');
    expect(midnight.raw.charCodeAt(0)).toBe(12);
    expect(calls[16]).toMatchObject({ talkSeconds: 26 * 3600 + 15 * 60 + 30, endedAt: '2026-01-16T03:00:30+00:00', accountCode: '1234567890' });
    expect(calls[17]).toMatchObject({ direction: 'unknown', extra: { markers: 'X:TEST' } });
  });

  it('crosses New Year and both DST changes of Europe/London', () => {
    const { calls } = parseAll(panasonic, fixture('new-year-dst.txt'), london);
    expect(calls.map((c) => [c.startedAt, c.endedAt])).toEqual([
      ['2025-12-31T23:58:00+00:00', '2026-01-01T00:01:00+00:00'],
      ['2026-01-01T00:01:00+00:00', '2026-01-01T00:03:15+00:00'],
      ['2026-03-29T00:59:00+00:00', '2026-03-29T02:00:00+01:00'],
      // 01:30 does not exist that night: read with the offset before the change.
      ['2026-03-29T02:30:00+01:00', '2026-03-29T02:31:00+01:00'],
      ['2026-03-29T02:00:00+01:00', '2026-03-29T02:01:00+01:00'],
      ['2026-10-25T00:50:00+01:00', '2026-10-25T01:50:00+00:00'],
      // 01:30 happens twice: the first one is taken.
      ['2026-10-25T01:30:00+01:00', '2026-10-25T01:31:00+01:00'],
      ['2026-10-25T02:00:00+00:00', '2026-10-25T02:01:00+00:00'],
    ]);
  });

  it('learns DD/MM/YY from the stream, uses the reference date, else assumes MM/DD/YY', () => {
    const { calls } = parseAll(panasonic, fixture('dd-mm-yy.txt'), london);
    expect(calls.map((c) => [c.startedAt.slice(0, 10), c.extra.dateOrder, c.extra.dateOrderSource])).toEqual([
      ['2026-02-13', 'DD/MM/YY', 'record'],
      ['2026-03-05', 'DD/MM/YY', 'stream'],
      ['2026-03-20', 'DD/MM/YY', 'record'],
    ]);
    const line = "05/02/26 10:00AM 202   01 02079460123                    00:02'00";
    const inMarch = callOf(panasonic.createParser({ timeZone: 'Europe/London', referenceDate: '2026-03-10' })(line));
    expect([inMarch.startedAt, inMarch.extra.dateOrderSource]).toEqual(['2026-02-05T10:00:00+00:00', 'reference-date']);
    const inJune = callOf(panasonic.createParser({ timeZone: 'Europe/London', referenceDate: '2026-06-10' })(line));
    expect([inJune.startedAt, inJune.extra.dateOrder, inJune.extra.dateOrderSource]).toEqual(['2026-05-02T10:00:00+01:00', 'MM/DD/YY', 'default']);
  });

  it('reads the 80-column pattern with charge and the 120-column pattern', () => {
    const b = parseAll(panasonic, fixture('kx-td-80col-charge.txt'), london).calls;
    expect(b.map((c) => [c.extra.layout, c.extra.cost, c.extra.currency, c.talkSeconds, c.accountCode, c.direction])).toEqual([
      ['80-charge', 560, 'EU', 5, '9876543210', 'outbound'],
      ['80-charge', 0, 'EU', 65, null, 'inbound'],
      ['80-charge', 1234.5, 'EU', 725, null, 'outbound'],
    ]);
    expect(b[2]!.trunk).toBe('00');
    const c = parseAll(panasonic, fixture('kx-ns-120col.txt'), london).calls;
    expect(c[0]).toMatchObject({ trunk: '0001', extension: '1230', dialedNumber: '123456789012345678901234567890', extra: { layout: '120', cost: 560, currency: 'EUR' } });
    expect(c[1]).toMatchObject({ callerName: 'ABC COMPANY', callerNumber: '123456789012345', ringSeconds: 5, talkSeconds: 65, accountCode: '9876543210' });
    expect(c[2]).toMatchObject({ disposition: 'no_answer', callerName: 'Q COMPANY', callerNumber: null, dialedNumber: '9876', extra: { ddi: 'CDE9876', conditionCode: 'NA' } });
  });

  it('skips the RC and AN notices of the incoming-call log and keeps NA as an unanswered call', () => {
    const { calls, results } = parseAll(panasonic, fixture('kx-td-incoming-log.txt'), london);
    expect(results.slice(2, 4).map((r) => r.kind)).toEqual(['skip', 'skip']);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ callerNumber: '09243121', callerName: 'TONY', ringSeconds: 20, talkSeconds: 252, disposition: 'answered' });
    expect(calls[1]).toMatchObject({ callerNumber: '1022220', callerName: 'TOM HUNKS', ringSeconds: 45, talkSeconds: 0, disposition: 'no_answer' });
  });

  it('names the column of what is wrong', () => {
    const errors = parseAll(panasonic, fixture('truncated.bad.txt'), london).results.filter((r) => r.kind === 'error');
    expect(errors.map((r) => (r.kind === 'error' ? r.error : ''))).toEqual([
      "no duration hh:mm'ss at column 57 (80 columns), 47 (80 columns with charge) or 84 (120 columns)",
      "no duration hh:mm'ss at column 57 (80 columns), 47 (80 columns with charge) or 84 (120 columns)",
      'date [0:8] "02/30/26" read as MM/DD/YY is not a real date',
      'time [9:16] "13:05PM" is not hh:mmAM or hh:mmPM',
      'CO [23:25] "AB" is not a line number',
      'ring [52:56] "x\'05" is not m\'ss',
      "no duration hh:mm'ss at column 57 (80 columns), 47 (80 columns with charge) or 84 (120 columns)",
      'date [0:8] "1/14/26 " is not MM/DD/YY or DD/MM/YY',
      'time [9:16] "0905AM " is not hh:mmAM or hh:mmPM',
      "no duration hh:mm'ss at column 57 (80 columns), 47 (80 columns with charge) or 84 (120 columns)",
      'date [0:8] "25/25/26" has no field that can be the month',
      "no duration hh:mm'ss at column 57 (80 columns), 47 (80 columns with charge) or 84 (120 columns)",
    ]);
  });

  it('claims its own lines and not CSV or Siemens lines', () => {
    expect(panasonic.detect(fixture('kx-tda-80col.txt').split(/\r?\n/).filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    expect(panasonic.detect(['127.0.0.1,1,id,100,,200,,,,2026-03-01 10:00:00,20,5,,,,16,,2,,,,,,,{}'])).toBeLessThan(0.3);
    expect(panasonic.detect(['14.01.2609:05:12  1   201 00:05 00:03:1202079460123                        0 1'])).toBeLessThan(0.3);
  });

  it('converts local start times like core/time.ts in any zone, DST days included', () => {
    const zones = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC', 'America/St_Johns'];
    const pad = (n: number): string => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2025, 11, 25), max: Date.UTC(2026, 11, 31) }),
        fc.integer({ min: 0, max: 99 * 3600 + 3599 }),
        (zone, naive, talk) => {
          const d = new Date(Math.floor(naive / 60_000) * 60_000);
          const local = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: 0 };
          const h12 = local.hour % 12 === 0 ? 12 : local.hour % 12;
          const line =
            `${pad(local.month)}/${pad(local.day)}/${pad(local.year % 100)} ${pad(h12)}:${pad(local.minute)}${local.hour < 12 ? 'AM' : 'PM'} 201   01 ` +
            `${'01632960001'.padEnd(25)}      ${pad(Math.floor(talk / 3600))}:${pad(Math.floor(talk / 60) % 60)}'${pad(talk % 60)}`;
          // 13/… or …/13 settle the order; for the rest the MM/DD default reads what was printed.
          const r = panasonic.createParser({ timeZone: zone, referenceDate: '2027-01-01' })(line);
          const start = fromLocal(local, zone);
          expect(r.kind === 'call' && [r.call.startedAt, r.call.endedAt]).toEqual([isoInZone(start.epochMs, zone), isoInZone(start.epochMs + talk * 1000, zone)]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
