import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conformance, describeConformance, parseAll } from '../conformance.js';
import { mergeLegs } from '../legs.js';
import { columnsFromTemplate, EXAMPLE_COLUMNS, freeswitchCsv, freeswitchCsvFormat } from './format.js';

describeConformance(freeswitchCsv);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

describe('freeswitch-csv', () => {
  it('reads the default "example" template with every field in place', () => {
    const { calls } = parseAll(freeswitchCsv, fixture('Master.csv'), london);
    expect(calls).toHaveLength(13);
    expect(calls[1]).toEqual({
      format: 'freeswitch-csv',
      callId: 'a3b2c1d0-5e6f-4a1b-8c9d-0e1f2a3b4c01',
      direction: 'inbound',
      startedAt: '2026-01-15T08:00:05+00:00',
      answeredAt: '2026-01-15T08:00:11+00:00',
      endedAt: '2026-01-15T08:02:11+00:00',
      ringSeconds: 6,
      talkSeconds: 120,
      holdSeconds: null,
      durationSeconds: 126,
      disposition: 'answered',
      callerNumber: '02079460999',
      callerName: 'ACME LTD',
      dialedNumber: '1001',
      calledNumber: '1001',
      extension: '1001',
      trunk: null,
      accountCode: null,
      transferredTo: null,
      answeredBy: '1001',
      hangupCause: 16,
      extra: { hangupCauseName: 'NORMAL_CLEARING', context: 'public', bleg_uuid: '6f1c1e9a-f1d1-4a4c-9b55-0d3c2f3a1b01', read_codec: 'PCMA', write_codec: 'PCMA' },
      raw: fixture('Master.csv').split('\n')[1],
    });
  });

  it('maps FreeSWITCH cause names to Q.850 and the disposition', () => {
    const { calls } = parseAll(freeswitchCsv, fixture('Master.csv'), london);
    expect(calls.map((c) => [c.extra.hangupCauseName, c.hangupCause, c.disposition]).slice(8)).toEqual([
      ['ORIGINATOR_CANCEL', 16, 'no_answer'],
      ['USER_BUSY', 17, 'busy'],
      ['NORMAL_CLEARING', 16, 'answered'],
      ['NORMAL_CLEARING', 16, 'answered'],
      ['NO_USER_RESPONSE', 18, 'no_answer'],
    ]);
    expect([calls[10]!.callerNumber, calls[10]!.callerName]).toEqual([null, null]);
    expect([calls[11]!.startedAt, calls[11]!.endedAt, calls[11]!.callerName]).toEqual(['2025-12-31T23:59:40+00:00', '2026-01-01T00:02:05+00:00', 'Zoë Müller']);
    // Across the spring DST change: 00:59 GMT to 02:00 BST is ten seconds.
    expect([calls[12]!.startedAt, calls[12]!.endedAt]).toEqual(['2026-03-29T00:59:00+00:00', '2026-03-29T02:00:10+01:00']);
  });

  it('joins a-leg and b-leg by bleg_uuid; the b-leg answered', () => {
    const { calls } = parseAll(freeswitchCsv, fixture('Master.csv'), london);
    const logical = mergeLegs(calls, freeswitchCsv.legKeys!);
    // 13 legs: three a-leg/b-leg pairs, and the b-leg of the voicemail call is not named by its a-leg.
    expect(logical).toHaveLength(10);
    const inbound = logical.find((l) => l.call.callId === 'a3b2c1d0-5e6f-4a1b-8c9d-0e1f2a3b4c01')!;
    expect(inbound.legs.map((c) => c.callId)).toEqual(['6f1c1e9a-f1d1-4a4c-9b55-0d3c2f3a1b01', 'a3b2c1d0-5e6f-4a1b-8c9d-0e1f2a3b4c01']);
    expect(inbound.call).toMatchObject({
      startedAt: '2026-01-15T08:00:05+00:00',
      endedAt: '2026-01-15T08:02:11+00:00',
      talkSeconds: 120,
      durationSeconds: 126,
      ringSeconds: 6,
      disposition: 'answered',
      answeredBy: '1001',
      direction: 'inbound',
      extra: { legs: 2, answeredLeg: '6f1c1e9a-f1d1-4a4c-9b55-0d3c2f3a1b01' },
    });
    const voicemail = logical.find((l) => l.call.callId === '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03')!;
    expect([voicemail.legs.length, voicemail.call.talkSeconds, voicemail.call.ringSeconds]).toEqual([1, 30, 21]);
  });

  it('reads a site template, where originating_leg_uuid ties a ring group of three', () => {
    const template = '"${uuid}","${originating_leg_uuid}","${bleg_uuid}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${hangup_cause_q850}"';
    const format = freeswitchCsvFormat(columnsFromTemplate(template));
    const text = [
      '"b-1010","a-7","","02079460999","1010","default","2026-01-15 09:00:01","","2026-01-15 09:00:09","8","0","LOSE_RACE","16"',
      '"b-1012","a-7","","02079460999","1012","default","2026-01-15 09:00:01","","2026-01-15 09:00:09","8","0","LOSE_RACE","16"',
      '"b-1011","a-7","","02079460999","1011","default","2026-01-15 09:00:01","2026-01-15 09:00:09","2026-01-15 09:03:09","188","180","NORMAL_CLEARING","16"',
      '"a-7","","b-1011","02079460999","600","public","2026-01-15 09:00:00","2026-01-15 09:00:09","2026-01-15 09:03:09","189","180","NORMAL_CLEARING","16"',
    ].join('\n');
    const { calls, results } = parseAll(format, text, london);
    expect(results.filter((r) => r.kind === 'error')).toEqual([]);
    expect(calls.map((c) => c.disposition)).toEqual(['no_answer', 'no_answer', 'answered', 'answered']);
    const [call] = mergeLegs(calls, format.legKeys!);
    expect(call!.legs).toHaveLength(4);
    expect(call!.call).toMatchObject({ callId: 'a-7', answeredBy: '1011', talkSeconds: 180, ringSeconds: 9, dialedNumber: '600', extra: { answeredLeg: 'b-1011', legs: 4 } });
    conformance.renderRoundTrips(format);
    expect(() => freeswitchCsvFormat(['caller_id_number'])).toThrow('freeswitch-csv template lacks ${start_stamp}, ${duration}, ${billsec}, ${uuid}');
  });

  it('reports each damaged record with its reason', () => {
    const { results } = parseAll(freeswitchCsv, fixture('damaged.bad.csv'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'text after the closing quote of field 14' },
      { kind: 'error', error: `expected ${EXAMPLE_COLUMNS.length} fields, found 5` },
      { kind: 'error', error: 'start_stamp "2026-13-15 08:00:05" is not a real date and time' },
      { kind: 'error', error: 'billsec "NULL" is not a whole number of seconds' },
      { kind: 'error', error: 'hangup_cause "NORMAL_CLEARANCE" is not a FreeSWITCH cause name' },
      { kind: 'error', error: 'uuid is empty' },
      { kind: 'error', error: 'start_stamp "15/01/2026 08:00:05" is not YYYY-MM-DD hh:mm:ss' },
    ]);
  });
});
