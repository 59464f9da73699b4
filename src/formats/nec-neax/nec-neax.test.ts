import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../core/call.js';
import { generateCalls } from '../../simulate/generate.js';
import { cdrstatsCsv } from '../cdrstats-csv/format.js';
import { describeConformance, frame, parseAll } from '../conformance.js';
import type { ParseContext, ParseResult } from '../format.js';
import { sampleRecords } from '../sample.js';
import { necNeax } from './format.js';
import { frameRecord } from '../../simulate/simulator.js';
import { renderRecord, type Family } from './render.js';


describeConformance(necNeax);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london: ParseContext = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
const STX = '\u0002';
const ETX = '\u0003';

function calls(name: string, ctx = london): Call[] {
  const { calls, results } = parseAll(necNeax, fixture(name), ctx);
  expect(results.filter((r) => r.kind !== 'call')).toEqual([]);
  return calls;
}

function parseOne(record: string, ctx = london): ParseResult {
  return necNeax.createParser(ctx)(record);
}

function callOf(record: string, ctx = london): Call {
  const r = parseOne(record, ctx);
  if (r.kind !== 'call') throw new Error(JSON.stringify(r));
  return r.call;
}

/** The first KA record of the normal fixture with other start and end columns (and years). */
const KA = frame(necNeax, fixture('neax2400-normal.txt'))[0]!;
function withTimes(start: string, end: string, years = '    '): string {
  return KA.slice(0, 19) + start + end + KA.slice(39, 115) + years + KA.slice(119);
}

describe('nec-neax normal records (KA, KB, KE)', () => {
  const normal = calls('neax2400-normal.txt');

  it('reads an outgoing KA record column by column', () => {
    expect(normal[0]).toEqual({
      format: 'nec-neax',
      callId: null,
      direction: 'outbound',
      startedAt: '2026-01-15T09:12:03+00:00',
      answeredAt: '2026-01-15T09:12:03+00:00',
      endedAt: '2026-01-15T09:15:47+00:00',
      ringSeconds: null,
      talkSeconds: 224,
      holdSeconds: null,
      durationSeconds: 224,
      disposition: 'answered',
      callerNumber: '2041',
      callerName: null,
      dialedNumber: '918005550199',
      calledNumber: '918005550199',
      extension: '2041',
      trunk: '005/012',
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: { recordKind: 'KA', callingPartyKind: 'station', route: '005', tenant: '01', conditionCodes: '000', meteringPulses: 3, billNotification: '0' },
      raw: '0!KA0050120012041  01150912030115091547             000      918005550199                    0003                      00000000   ',
    });
    expect(normal[0]!.raw).toHaveLength(130);
  });

  it('keeps account and authorisation codes, condition codes, route advance and the charge', () => {
    expect(normal[1]).toMatchObject({
      accountCode: '4411',
      dialedNumber: '9011441632960001',
      trunk: '007/001',
      talkSeconds: 912,
      extra: {
        conditionCodes: '022',
        routeUsed: '007',
        routeFirstChoice: '005',
        authorizationCode: '123456',
        meteringPulses: 12,
        chargeUnitCode: '2',
        charge: 415,
      },
    });
  });

  it('reads incoming KE records with the station in the calling columns, or the route/trunk there and the station called', () => {
    expect(normal[2]).toMatchObject({ direction: 'inbound', extension: '2107', dialedNumber: '2107', callerNumber: null, trunk: '010/003', talkSeconds: 450 });
    expect(normal[3]).toMatchObject({
      direction: 'inbound',
      extension: '2110',
      dialedNumber: '2110',
      trunk: '010/004',
      extra: { callingPartyKind: 'incoming-trunk', callingTrunk: '010004' },
    });
  });

  it('reads a station-to-station KB record: called tenant [61:63] and station [63:69]', () => {
    expect(normal[4]).toMatchObject({
      direction: 'internal',
      extension: '2041',
      callerNumber: '2041',
      dialedNumber: '2107',
      calledNumber: '2107',
      trunk: null,
      talkSeconds: 162,
      extra: { recordKind: 'KB', calledTenant: '01' },
    });
  });

  it('crosses midnight and New Year, infers years from the reference date and times calls longer than a day', () => {
    expect([normal[5]!.startedAt, normal[5]!.endedAt, normal[5]!.talkSeconds]).toEqual(['2026-01-19T23:58:30+00:00', '2026-01-20T00:04:10+00:00', 340]);
    expect([normal[6]!.startedAt, normal[6]!.endedAt, normal[6]!.talkSeconds]).toEqual(['2025-12-31T23:55:00+00:00', '2026-01-01T00:20:00+00:00', 1500]);
    expect([normal[7]!.startedAt, normal[7]!.endedAt, normal[7]!.durationSeconds]).toEqual(['2026-01-16T08:00:00+00:00', '2026-01-17T10:30:00+00:00', 95_400]);
  });

  it('reads an empty dialled number, an attendant caller, a tandem call and a record whose trailing spaces were stripped', () => {
    expect(normal[8]).toMatchObject({ dialedNumber: null, calledNumber: null, extension: '2042' });
    expect(normal[9]).toMatchObject({ extension: '1', callerNumber: '1', extra: { callingPartyKind: 'attendant' } });
    expect(normal[10]).toMatchObject({ extension: null, callerNumber: null, direction: 'outbound', extra: { callingPartyKind: 'incoming-trunk', callingTrunk: '010007' } });
    expect(normal[11]).toMatchObject({ extension: '2043', dialedNumber: '95550000', talkSeconds: 45 });
    expect(normal[11]!.raw).toHaveLength(127);
  });

  it('ignores the banner, XON/XOFF and line ends between frames', () => {
    expect(normal).toHaveLength(12);
  });
});

describe('nec-neax years', () => {
  const at = (start: string, end: string, referenceDate: string, years?: string): (string | null)[] => {
    const call = callOf(withTimes(start, end, years), { timeZone: 'Europe/London', referenceDate });
    return [call.startedAt, call.endedAt];
  };

  it('reads a record dated 12-31 received on 01-01 as last year’s', () => {
    expect(at('1231100000', '1231100500', '2026-01-01')).toEqual(['2025-12-31T10:00:00+00:00', '2025-12-31T10:05:00+00:00']);
    expect(at('1231235500', '0101002000', '2026-01-01')).toEqual(['2025-12-31T23:55:00+00:00', '2026-01-01T00:20:00+00:00']);
  });

  it('allows a switch clock a few days ahead of the reference date, and goes back a year beyond that', () => {
    expect(at('0102100000', '0102100500', '2025-12-30')[0]).toBe('2026-01-02T10:00:00+00:00');
    expect(at('0615100000', '0615100500', '2026-01-20')[0]).toBe('2025-06-15T10:00:00+01:00');
  });

  it('puts 02-29 in the last leap year', () => {
    expect(at('0229100000', '0229100500', '2026-01-20')[0]).toBe('2024-02-29T10:00:00+00:00');
  });

  it('uses the YY columns [115:117] and [117:119] when the record fills them', () => {
    expect(at('0615100000', '0615100500', '2026-01-20', '2626')[0]).toBe('2026-06-15T10:00:00+01:00');
    expect(at('1231235500', '0101002000', '2030-06-01', '19  ')).toEqual(['2019-12-31T23:55:00+00:00', '2020-01-01T00:20:00+00:00']);
    expect(at('0615100000', '0615100500', 'not a date', '2626')[0]).toBe('2026-06-15T10:00:00+01:00');
  });

  it('needs a reference date when the record has no year', () => {
    expect(parseOne(withTimes('0615100000', '0615100500'), { timeZone: 'Europe/London', referenceDate: 'today' })).toEqual({
      kind: 'error',
      error: 'the record has no year and the reference date "today" is not YYYY-MM-DD',
    });
  });
});

describe('nec-neax extended records (KH, KI, KJ)', () => {
  const extended = calls('sv8500-extended.txt');

  it('times a call across the spring-forward hour (Europe/London 2026-03-29 01:00 UTC)', () => {
    expect(extended[0]).toMatchObject({
      direction: 'outbound',
      startedAt: '2026-03-29T00:59:30+00:00',
      endedAt: '2026-03-29T02:01:10+01:00',
      talkSeconds: 100,
      extra: { recordKind: 'KH' },
    });
  });

  it('times a call ending in the repeated hour after clocks go back (2026-10-25 01:00 UTC)', () => {
    expect(extended[1]).toMatchObject({
      direction: 'inbound',
      startedAt: '2026-10-25T01:50:00+01:00',
      endedAt: '2026-10-25T01:10:00+00:00',
      talkSeconds: 1200,
      durationSeconds: 1200,
    });
  });

  it('takes the caller of an incoming KI record from the CPN/ANI columns [132:164]', () => {
    expect(extended[1]).toMatchObject({ callerNumber: '02079460999', extension: '2107', trunk: '010/003', extra: { recordKind: 'KI', cpnPresentation: '1' } });
    expect(extended[2]).toMatchObject({ callerNumber: null, extra: { cpnPresentation: '2' } });
    expect(extended[1]!.raw).toHaveLength(164);
  });

  it('reads KJ as station-to-station, and an outgoing KH record’s CPN as the calling party number', () => {
    expect(extended[3]).toMatchObject({ direction: 'internal', extension: '2041', dialedNumber: '2300', startedAt: '2026-07-04T09:00:00+01:00', talkSeconds: 5 });
    expect(extended[4]).toMatchObject({
      startedAt: '2026-12-31T23:59:50+00:00',
      endedAt: '2027-01-01T00:00:20+00:00',
      callerNumber: '2200',
      extra: { callingPartyNumber: '01632960100' },
    });
  });
});

describe('nec-neax flexible records (KK, KL, KM)', () => {
  const flexible = calls('sv9500-flexible.txt');

  it('reads every item of an outgoing KK record', () => {
    const { raw, ...call } = flexible[0]!;
    expect(raw.startsWith('0!KK0112001005012005')).toBe(true);
    expect(call).toEqual({
      format: 'nec-neax',
      callId: null,
      direction: 'outbound',
      startedAt: '2026-01-15T09:12:03+00:00',
      answeredAt: '2026-01-15T09:12:03+00:00',
      endedAt: '2026-01-15T09:15:47+00:00',
      ringSeconds: null,
      talkSeconds: 224,
      holdSeconds: null,
      durationSeconds: 224,
      disposition: 'answered',
      callerNumber: '2041',
      callerName: null,
      dialedNumber: '918005550199',
      calledNumber: '918005550199',
      extension: '2041',
      trunk: '005/012',
      accountCode: '4411',
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: {
        recordKind: 'KK',
        route: '005',
        fpc: '001',
        logicalRoute: '005',
        conditionCodes: '002',
        authorizationCode: '123456',
        chargeUnitCode: '2',
        charge: 415,
        billNotification: '0',
        departmentCode: '042',
        convertedNumber: '18005550199',
        officeCodeCalling: '1234',
        officeCodeBilling: '5678',
        routeUsed: '007',
        routeFirstChoice: '005',
        maIdCalling: '00001',
        maIdRoute: '00002',
        callingTelephoneNumber: '2041',
        callingPartyKind: 'station',
        tenant: '001',
      },
    });
  });

  it('starts an incoming KL call when the trunk call arrived (item 19) and takes the caller from item 16', () => {
    expect(flexible[1]).toMatchObject({
      direction: 'inbound',
      startedAt: '2026-01-15T10:15:00+00:00',
      answeredAt: '2026-01-15T10:15:12+00:00',
      endedAt: '2026-01-15T10:22:30+00:00',
      ringSeconds: 12,
      talkSeconds: 438,
      durationSeconds: 450,
      callerNumber: '02079460999',
      extension: '2107',
      dialedNumber: '2107',
      trunk: '010/003',
    });
    expect(flexible[2]).toMatchObject({ startedAt: '2026-01-15T10:30:00+00:00', ringSeconds: null, callerNumber: null, extension: '2110', extra: { aniPresentation: '2' } });
  });

  it('reads a KM station-to-station record, and an item beyond those documented when the items add up', () => {
    expect(flexible[3]).toMatchObject({ direction: 'internal', extension: '2041', dialedNumber: '2107', trunk: null, talkSeconds: 162 });
    expect(flexible[4]).toMatchObject({ startedAt: '2026-01-19T23:58:30+00:00', extension: '2200', extra: { unknownItems: '21' } });
  });

  it('rejects records whose items do not add up, naming the item', () => {
    const errors = parseAll(necNeax, fixture('flexible-mismatch.bad.txt'), london).results;
    expect(errors).toEqual([
      { kind: 'error', error: 'items do not add up: item 01 (trunk) at [4] is 16 characters long, not 12' },
      { kind: 'error', error: 'items do not add up: item 80 at [81] claims 30 characters, 2 remain' },
      { kind: 'error', error: 'items do not add up: item 01 (trunk) at [18] comes after item 2' },
      { kind: 'error', error: 'items do not add up: item 10 (dial code) at [72] claims 12 characters, 9 remain' },
      { kind: 'error', error: 'item 06 (call times) is missing' },
      { kind: 'error', error: 'items do not add up: item 01 (trunk) at [4] is 10 characters long, not 12' },
      { kind: 'error', error: 'items do not add up: [20:24] "XX02" is not an item number and length' },
    ]);
  });

  it('rejects an arrival time after the answer, and bad values inside items', () => {
    const kl = frame(necNeax, fixture('sv9500-flexible.txt'))[1]!;
    expect(parseOne(kl.replace('191720260115101500000', '191720260115101600000'))).toEqual({
      kind: 'error',
      error: 'item 19 (trunk arrival time) "20260115101600000" is after the call\'s start',
    });
    expect(parseOne(kl.replace('10042107', '100421A7'))).toEqual({ kind: 'error', error: 'item 10 (dial code) "21A7" holds more than digits, * and #' });
    expect(parseOne(kl.replace('063420260115101512', '063420261315101512'))).toEqual({
      kind: 'error',
      error: 'item 06 (call times): start time: 2026-13-15 is not a real date',
    });
  });
});

describe('nec-neax rejects what it cannot read', () => {
  it('names the column of every bad fixed-column record', () => {
    expect(parseAll(necNeax, fixture('fixed-columns.bad.txt'), london).results).toEqual([
      { kind: 'error', error: 'end date [29:33] "0230" is not a real month and day' },
      { kind: 'error', error: 'route [4:7] "0x5" is not a number' },
      { kind: 'error', error: 'end time 2026-01-15 08:15:47 is before start time 2026-01-15 09:12:03' },
      { kind: 'error', error: 'calling-party kind [10] "7" is not 0, 1, 2 or 3' },
      { kind: 'error', error: 'start time: 25:12:03 is not a real time' },
      { kind: 'error', error: 'dialled number [61:85] "9180055501AB            " holds more than digits, * and #' },
      { kind: 'error', error: 'start year [115:117] "2x" is not YY' },
      { kind: 'error', error: 'called party [61:69] is followed by "99" in [69:85], which a station-to-station record leaves blank' },
      { kind: 'error', error: 'KA record is 135 characters, longer than the 130 of its layout' },
      { kind: 'error', error: 'call from 2026-01-01 09:12:03 to 2026-03-01 09:15:47 lasts more than 31 days' },
    ]);
  });

  it('rejects frames cut short by a new STX or the end of the stream, unknown kinds and foreign text', () => {
    expect(parseAll(necNeax, fixture('broken-frames.bad.txt'), london).results).toEqual([
      { kind: 'error', error: 'KA record is 39 characters, cut short: its columns run to 130' },
      { kind: 'error', error: 'record kind [2:4] "KX" is not one of KA KB KE KH KI KJ KK KL KM' },
      { kind: 'error', error: 'header [0:4] "SMDR" is not station address, "!", "K" and the record kind (e.g. "0!KA")' },
      { kind: 'error', error: 'KA record is 70 characters, cut short: its columns run to 130' },
    ]);
  });

  it('answers an unknown time zone with an error', () => {
    expect(parseOne(KA, { timeZone: 'Mars/Olympus', referenceDate: '2026-01-20' })).toMatchObject({ kind: 'error', error: expect.stringContaining('KA record could not be read') });
  });

  it('reads a record that still carries its STX, ETX and line end', () => {
    expect(callOf(`${STX}${KA}${ETX}\r\n`)).toMatchObject({ startedAt: '2026-01-15T09:12:03+00:00', talkSeconds: 224 });
    expect(parseOne('')).toEqual({ kind: 'error', error: 'empty record' });
  });

  it('does not claim a zero-length record answered (NEAX prints answered calls only, timed from answer)', () => {
    expect(callOf(withTimes('0115091203', '0115091203'))).toMatchObject({ disposition: 'unknown', talkSeconds: 0, answeredAt: null, durationSeconds: 0 });
  });
});

describe('nec-neax detection', () => {
  const own = ['neax2400-normal.txt', 'sv8500-extended.txt', 'sv9500-flexible.txt'];

  it('is sure of its records split at STX/ETX, and of lines that still hold STX and ETX', () => {
    for (const name of own) {
      expect(necNeax.detect(sampleRecords(fixture(name))), name).toBeGreaterThanOrEqual(0.8);
      const lines = fixture(name).split(/\r?\n/).filter((l) => l.includes(STX));
      expect(necNeax.detect(lines), name).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('ignores XON/XOFF noise between frames', () => {
    expect(necNeax.detect(['\u0011\u0013', KA, '\u0000'])).toBeCloseTo(0.95);
  });

  it('does not claim other formats’ records, nor do they claim its records', () => {
    const csv = readFileSync(new URL('../cdrstats-csv/fixtures/seed-004.csv', import.meta.url), 'utf8');
    expect(necNeax.detect(sampleRecords(csv))).toBeLessThan(0.3);
    expect(necNeax.detect(['  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD', '01/15/26 09:12AM   201 01 907700900123                  00:03\'24'])).toBeLessThan(0.3);
    for (const name of own) expect(cdrstatsCsv.detect(sampleRecords(fixture(name))), name).toBeLessThan(0.3);
  });
});

describe('nec-neax render', () => {
  const sims = generateCalls({ count: 300, seed: 11 });

  for (const family of ['normal', 'extended', 'flexible'] as const satisfies readonly Family[]) {
    it(`parses back ${family} records`, () => {
      const text = sims.map((s) => frameRecord(necNeax.framing, renderRecord(s, london, family)) + '\r\n').join('');
      const { calls, results } = parseAll(necNeax, text, london);
      expect(results.filter((r) => r.kind !== 'call')).toEqual([]);
      calls.forEach((call, i) => {
        const sim = sims[i]!;
        expect(Date.parse(call.startedAt)).toBe(sim.startedAtMs);
        expect([call.direction, call.talkSeconds, call.disposition === 'answered']).toEqual([sim.direction, sim.answered ? sim.talkSeconds : 0, sim.answered]);
        expect(call.extension).toBe(sim.extension);
        if (sim.direction === 'outbound') expect(call.dialedNumber).toBe(sim.externalNumber);
        if (sim.direction === 'inbound' && family !== 'normal') expect(call.callerNumber).toBe(sim.externalNumber);
        if (sim.direction === 'inbound' && family === 'flexible') expect(call.ringSeconds).toBe(sim.ringSeconds);
        expect(call.accountCode).toBe(sim.accountCode);
      });
    });
  }

  it('prints a 130-character normal record, framed by STX and ETX on the wire', () => {
    const record = necNeax.render(sims[0]!, london)[0]!;
    expect(record).toHaveLength(130);
    expect(record).toMatch(/^0!K[ABE]/);
    expect(frameRecord(necNeax.framing, record)).toBe(STX + record + ETX);
  });
});
