import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../core/call.js';
import { describeConformance, parseAll } from '../conformance.js';
import { avayaIpo } from './format.js';

describeConformance(avayaIpo);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
const calls = (name: string): Call[] => parseAll(avayaIpo, fixture(name), london).calls;
const byId = (list: Call[], id: string, n = 0): Call => list.filter((c) => c.callId === id)[n]!;

/** A 30-field record from its first 17 fields. */
const record = (head: string): string => head + ',,,,,,,,,,,,,';

describe('avaya-ipo', () => {
  it('reads a lost incoming call', () => {
    expect(byId(calls('smdr-r10.txt'), '1000014155')).toMatchObject({
      format: 'avaya-ipo',
      direction: 'inbound',
      startedAt: '2026-01-14T09:28:41+00:00',
      answeredAt: null,
      endedAt: '2026-01-14T09:28:50+00:00',
      ringSeconds: 9,
      talkSeconds: 0,
      durationSeconds: 9,
      disposition: 'no_answer',
      callerNumber: '01632960001',
      dialedNumber: '4324',
      calledNumber: '4324',
      extension: '4324',
      trunk: '9161',
      extra: { records: 1, trunkName: 'LINE 5.1', party1Name: 'Joe Bloggs' },
      raw: '2026/01/14 09:28:41,00:00:00,9,01632960001,I,4324,4324,,0,1000014155,0,E4324,Joe Bloggs,T9161,LINE 5.1,0,0,,,,,,,,,,,,,',
    });
  });

  it('joins a call transferred to voicemail and adds up its connected and hold times', () => {
    const call = byId(calls('smdr-r10.txt'), '1000014160');
    expect(call).toMatchObject({
      direction: 'inbound',
      startedAt: '2026-01-14T09:30:57+00:00',
      answeredAt: '2026-01-14T09:31:04+00:00',
      ringSeconds: 7,
      talkSeconds: 34,
      holdSeconds: 11,
      durationSeconds: 52,
      endedAt: '2026-01-14T09:31:49+00:00',
      disposition: 'answered',
      extension: '4750',
      answeredBy: '4750',
      transferredTo: 'V9502',
      trunk: '9002',
      dialedNumber: '299999',
      extra: { records: 2, voicemail: true },
    });
    expect(call.raw.split('\n')).toHaveLength(2);
  });

  it('tells internal, outbound and inbound calls apart and keeps charge and targeting fields', () => {
    const list = calls('smdr-r10.txt');
    expect(byId(list, '1000013898')).toMatchObject({
      direction: 'internal',
      callerNumber: '4688',
      callerName: 'Joe Bloggs',
      extension: '4688',
      answeredBy: '4207',
      trunk: null,
      talkSeconds: 44,
      ringSeconds: 4,
    });
    expect(byId(list, '1000014170')).toMatchObject({
      direction: 'outbound',
      callerName: 'John Smith',
      dialedNumber: '901632960123',
      accountCode: '4711',
      talkSeconds: 192,
      holdSeconds: 15,
      durationSeconds: 223,
      extra: { parkSeconds: 4, callCharge: 1.23, currency: 'GBP', callUnits: 12, costPerUnit: 1025, markUp: 100, authValid: '1', userCharged: '4207' },
    });
    expect(byId(list, '1000014171').extra).toMatchObject({ externalTargetingCause: 'U FU', externalTargeterId: '4207', externalTargetedNumber: '07700900123' });
    expect(byId(list, '1000013').extra).toMatchObject({ calledNumber: '23' });
    expect(byId(list, '1000013').dialedNumber).toBe('390664');
  });

  it('assembles interleaved records by CallID and keeps a reused CallID apart (R11 records)', () => {
    const list = calls('smdr-r11.txt');
    expect(list.map((c) => c.callId)).toEqual([
      '1000020002',
      '1000020001',
      '1000020002',
      '1000020003',
      '1000019000',
      '1000030001',
      '1000040001',
      '1000020100',
    ]);
    expect(byId(list, '1000020001')).toMatchObject({
      startedAt: '2026-01-15T08:00:05+00:00',
      endedAt: '2026-01-15T08:03:56+00:00',
      durationSeconds: 231,
      talkSeconds: 190,
      holdSeconds: 20,
      extension: '201',
      answeredBy: '201',
      transferredTo: '203',
      extra: { records: 2, parkSeconds: 15, party1Name: 'Zoë Müller', uniqueCallIdCaller: '501', calledPartyServerIp: '10.0.0.1' },
    });
    expect(byId(list, '1000020002', 0)).toMatchObject({ startedAt: '2026-01-15T08:00:30+00:00', callerName: 'José Núñez', talkSeconds: 40 });
    expect(byId(list, '1000020002', 1)).toMatchObject({
      startedAt: '2026-01-15T17:45:00+00:00',
      callerNumber: null,
      disposition: 'no_answer',
      ringSeconds: 25,
    });
  });

  it('crosses midnight, New Year and the DST changes with the right offsets', () => {
    const list = calls('smdr-r11.txt');
    expect(byId(list, '1000020003')).toMatchObject({ startedAt: '2026-01-14T23:59:50+00:00', endedAt: '2026-01-15T00:00:25+00:00' });
    expect(byId(list, '1000019000')).toMatchObject({ startedAt: '2025-12-31T23:58:00+00:00', endedAt: '2026-01-01T00:03:10+00:00', durationSeconds: 310 });
    expect(byId(list, '1000030001')).toMatchObject({
      startedAt: '2026-03-29T00:59:30+00:00',
      endedAt: '2026-03-29T02:00:40+01:00',
      durationSeconds: 70,
    });
    // 01:30:05 in the repeated hour reads as its first occurrence, which is before the call's
    // answer: the record time cannot be right, so the end comes from the summed times.
    expect(byId(list, '1000040001')).toMatchObject({
      startedAt: '2026-10-25T01:30:00+01:00',
      answeredAt: '2026-10-25T01:30:05+01:00',
      endedAt: '2026-10-25T01:30:05+00:00',
      durationSeconds: 3605,
    });
  });

  it('reads connected times of more than a day', () => {
    expect(byId(calls('smdr-r11.txt'), '1000020100')).toMatchObject({
      talkSeconds: 25 * 3600 + 13 * 60 + 2,
      endedAt: '2026-01-17T10:13:03+00:00',
    });
  });

  it('accepts LF line ends and trailing spaces', () => {
    const list = calls('lf-trailing-spaces.txt');
    expect(list.map((c) => [c.callId, c.direction, c.talkSeconds, c.disposition])).toEqual([
      ['1000050001', 'internal', 20, 'answered'],
      ['1000050002', 'outbound', 0, 'no_answer'],
    ]);
  });

  it('makes each record an event keyed by CallID', () => {
    const r = avayaIpo.createParser(london)(record('2026/01/14 09:30:57,00:00:13,7,01707392200,I,299999,299999,,0,1000014160,1,E4750,John Smith,T9002,LINE 1.2,11,0'));
    expect(r).toMatchObject({
      kind: 'event',
      event: { callRef: '1000014160', event: 'SEGMENT', occurredAt: '2026-01-14T09:30:57+00:00', data: { connectedSeconds: 13, ringSeconds: 7, holdSeconds: 11, continuation: 1 } },
    });
  });

  it('hands over a call whose last record never came when the stream ends', () => {
    const text = record('2026/01/14 09:30:57,00:00:13,7,01707392200,I,299999,299999,,0,1000014160,1,E4750,John Smith,T9002,LINE 1.2,11,0');
    const { calls: list } = parseAll(avayaIpo, text + '\r\n', london);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ callId: '1000014160', talkSeconds: 13, extra: { incomplete: true } });
  });

  it('rejects damaged records with the reason', () => {
    const { results } = parseAll(avayaIpo, fixture('damaged.bad.txt'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'expected 30 fields (35 from R11), found 10' },
      { kind: 'error', error: 'CallStart "2026/02/30 15:14:19" is not a real date and time' },
      { kind: 'error', error: 'ConnectedTime "0:0:5" is not hh:mm:ss' },
      { kind: 'error', error: 'Direction "X" is not I or O' },
      { kind: 'error', error: 'Continuation "2" is not 0 or 1' },
      { kind: 'error', error: 'expected 30 fields (35 from R11), found 31' },
      { kind: 'error', error: 'CallID "" is empty or not one word' },
      { kind: 'error', error: 'RingTime "seven" is not a whole number of seconds' },
    ]);
  });

  it('claims its own records and not other CSV records', () => {
    expect(avayaIpo.detect(fixture('smdr-r10.txt').split('\r\n').filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    expect(avayaIpo.detect(fixture('smdr-r11.txt').split('\r\n').filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    const cdrstats = readFileSync(new URL('../cdrstats-csv/fixtures/seed-004.csv', import.meta.url), 'utf8').split('\n').filter(Boolean);
    expect(avayaIpo.detect(cdrstats)).toBeLessThan(0.3);
    expect(avayaIpo.detect(['CDR,1,sip:1,isdn:1,201,02079460123,201,02079460123,26/01/15-08:00:00,26/01/15-08:01:00,26/01/15-08:00:05,26/01/15-08:01:00,A,16,-,-'])).toBe(0);
  });
});
