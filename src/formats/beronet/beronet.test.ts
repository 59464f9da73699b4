import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../core/call.js';
import { describeConformance, parseAll } from '../conformance.js';
import { beronet, createBeronetFormat, partyOf } from './format.js';

describeConformance(beronet);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
const calls = (name: string): Call[] => parseAll(beronet, fixture(name), london).calls;
const byId = (list: Call[], id: string): Call => list.find((c) => c.callId === id)!;

describe('beronet', () => {
  it('reads an inbound ISDN call delivered to the SIP PBX', () => {
    expect(byId(calls('cdr-crlf.txt'), '1001')).toEqual({
      format: 'beronet',
      callId: '1001',
      direction: 'inbound',
      startedAt: '2026-01-15T08:00:05+00:00',
      answeredAt: '2026-01-15T08:00:12+00:00',
      endedAt: '2026-01-15T08:02:10+00:00',
      ringSeconds: 7,
      talkSeconds: 118,
      holdSeconds: null,
      durationSeconds: 125,
      disposition: 'answered',
      callerNumber: '02079460123',
      callerName: null,
      dialedNumber: '02079460201',
      calledNumber: '02079460201',
      extension: '201',
      trunk: 'isdn:1',
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: 16,
      extra: {
        sourceInterface: 'isdn:1',
        destinationInterface: 'sip:1',
        inCaller: '02079460123',
        inCalled: '02079460201',
        outCaller: '02079460123',
        outCalled: '201',
        hangupSide: 'out',
      },
      raw: 'CDR,1001,isdn:1,sip:1,02079460123,02079460201,sip:02079460123@192.168.0.10,sip:201@192.168.0.10,26/01/15-08:00:05,26/01/15-08:02:10,26/01/15-08:00:12,26/01/15-08:02:10,out,16,-,-',
    });
  });

  it('takes the number sent to the network as dialled on outbound calls, and the display name', () => {
    expect(byId(calls('cdr-crlf.txt'), '1002')).toMatchObject({
      direction: 'outbound',
      callerNumber: '202',
      callerName: 'Zoë Müller',
      extension: '202',
      dialedNumber: '07700900123',
      talkSeconds: 321,
      durationSeconds: 330,
      endedAt: '2026-01-15T08:15:30+00:00',
      extra: { inCalled: '907700900123', outCalled: '07700900123' },
    });
    expect(byId(calls('cdr-crlf.txt'), '1008')).toMatchObject({ callerNumber: '211', callerName: 'Doe, John', talkSeconds: 35 });
  });

  it('reads records without a connect time, and maps the Q.850 cause', () => {
    const list = calls('cdr-crlf.txt');
    expect(byId(list, '1003')).toMatchObject({
      direction: 'outbound',
      answeredAt: null,
      ringSeconds: 4,
      talkSeconds: 0,
      durationSeconds: 4,
      disposition: 'busy',
      hangupCause: 17,
      extra: { missingTimeField: 'connect' },
    });
    expect(byId(list, '1004')).toMatchObject({ direction: 'inbound', trunk: 'gsm:1', disposition: 'no_answer', ringSeconds: 25, talkSeconds: 0 });
    expect(byId(list, '1007')).toMatchObject({ disposition: 'failed', hangupCause: 3, dialedNumber: '00999123', extra: { inCalled: '+999123' } });
  });

  it('treats SIP to FXS as internal and an anonymous caller as no number', () => {
    const list = calls('cdr-crlf.txt');
    expect(byId(list, '1006')).toMatchObject({ direction: 'internal', extension: '204', dialedNumber: '250', trunk: null });
    expect(byId(list, '1005')).toMatchObject({ direction: 'inbound', callerNumber: null, extension: '200' });
  });

  it('crosses midnight, New Year and the DST changes, and days-long calls (LF, trailing spaces)', () => {
    const list = calls('cdr-lf.txt');
    expect(byId(list, '2001')).toMatchObject({ startedAt: '2026-01-14T23:59:40+00:00', endedAt: '2026-01-15T00:01:10+00:00', durationSeconds: 90 });
    expect(byId(list, '2002')).toMatchObject({ startedAt: '2025-12-31T23:59:58+00:00', answeredAt: '2026-01-01T00:00:02+00:00', talkSeconds: 28 });
    expect(byId(list, '2003')).toMatchObject({ endedAt: '2026-03-29T02:00:20+01:00', durationSeconds: 30, talkSeconds: 25 });
    expect(byId(list, '2004')).toMatchObject({ startedAt: '2026-10-25T00:50:00+01:00', endedAt: '2026-10-25T01:10:00+01:00', durationSeconds: 1200 });
    expect(byId(list, '2005')).toMatchObject({ talkSeconds: 25 * 3600, durationSeconds: 25 * 3600 + 1 });
  });

  it('lets an installation say which interfaces face the PBX', () => {
    // An ISDN PBX behind the gateway, SIP trunk to the provider.
    const isdnPbx = createBeronetFormat({ pbxInterfaces: ['isdn'] });
    const { calls: list } = parseAll(isdnPbx, fixture('cdr-crlf.txt'), london);
    expect(byId(list, '1001')).toMatchObject({ direction: 'outbound', trunk: 'sip:1', extension: '02079460123' });
    expect(byId(list, '1002')).toMatchObject({ direction: 'inbound', trunk: 'sip:1' });
  });

  it('extracts numbers from SIP URIs', () => {
    expect(partyOf('sip:201@10.0.0.1')).toEqual({ number: '201', name: null });
    expect(partyOf('"Zoë" <sips:+4930123@host;user=phone>')).toEqual({ number: '+4930123', name: 'Zoë' });
    expect(partyOf('<tel:+4930123;phone-context=x>')).toEqual({ number: '+4930123', name: null });
    expect(partyOf('sip:anonymous@anonymous.invalid')).toEqual({ number: null, name: null });
    expect(partyOf(' 0301234 ')).toEqual({ number: '0301234', name: null });
    expect(partyOf('-')).toEqual({ number: null, name: null });
  });

  it('rejects damaged lines with the reason', () => {
    const { results } = parseAll(beronet, fixture('damaged.bad.txt'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'expected 16 fields (15 with a missing time), found 7' },
      { kind: 'error', error: 'start time "26/13/15-08:00:05" is not a real date and time' },
      { kind: 'error', error: 'start time "2026-01-15 08:00:05" is not yy/mm/dd-hh:mm:ss' },
      { kind: 'error', error: 'id is empty' },
      { kind: 'error', error: 'cause "abc" is neither a Q.850 code nor a cause name' },
      { kind: 'error', error: 'end time is before the start time' },
      { kind: 'error', error: 'unbalanced quote in field 5' },
      { kind: 'error', error: 'expected 16 fields (15 with a missing time), found 17' },
    ]);
    expect(beronet.createParser(london)('hello')).toEqual({ kind: 'error', error: 'not a CDR line: it does not start with "CDR,"' });
  });

  it('claims its own lines only', () => {
    expect(beronet.detect(fixture('cdr-crlf.txt').split('\r\n').filter(Boolean))).toBeGreaterThanOrEqual(0.8);
    const avaya = readFileSync(new URL('../avaya-ipo/fixtures/smdr-r10.txt', import.meta.url), 'utf8').split('\r\n').filter(Boolean);
    expect(beronet.detect(avaya)).toBe(0);
  });
});

describe('beronet across the autumn clock change', () => {
  it('reads a later time of the call in the repeated hour as its second occurrence', () => {
    // Started 01:59:27 BST; the clocks went back at 02:00 BST; ended 01:08:39 GMT.
    const record = 'CDR,235867,sip:1,fxs:3,"Zoë Müller" <sip:214@192.168.0.2>,sip:258@192.168.0.2,214,258,26/10/25-01:59:27,26/10/25-01:08:39,26/10/25-01:59:30,26/10/25-01:08:39,out,16,-,-';
    const result = beronet.createParser(london)(record);
    if (result.kind !== 'call') throw new Error(JSON.stringify(result));
    expect([result.call.startedAt, result.call.answeredAt, result.call.endedAt]).toEqual([
      '2026-10-25T01:59:27+01:00',
      '2026-10-25T01:59:30+01:00',
      '2026-10-25T01:08:39+00:00',
    ]);
    expect([result.call.talkSeconds, result.call.durationSeconds]).toEqual([549, 552]);
  });
});
