import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConformance, parseAll } from '../conformance.js';
import { threeCx } from './format.js';

describeConformance(threeCx);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

describe('3cx', () => {
  it('reads an older build (20 fields, Ext. spellings) with every field in place', () => {
    const { calls } = parseAll(threeCx, fixture('cdr-v14.log'), london);
    expect(calls).toHaveLength(5);
    expect(calls[0]).toEqual({
      format: '3cx',
      callId: '00000C4E6E2B9C7B_12',
      direction: 'outbound',
      startedAt: '2026-01-15T08:00:12+00:00',
      answeredAt: '2026-01-15T08:00:19+00:00',
      endedAt: '2026-01-15T08:05:19+00:00',
      ringSeconds: 7,
      talkSeconds: 300,
      holdSeconds: null,
      durationSeconds: 307,
      disposition: 'answered',
      callerNumber: '201',
      callerName: null,
      dialedNumber: '02079460123',
      calledNumber: '02079460123',
      extension: '201',
      trunk: '10000',
      accountCode: null,
      transferredTo: null,
      answeredBy: '02079460123',
      hangupCause: 16,
      extra: { historyId: '10234', reasonTerminated: 'TerminatedBySrc', fromDn: '201', toDn: '10000', chain: 'Chain: Ext.201;10000;02079460123;' },
      raw: fixture('cdr-v14.log').split('\r\n')[0],
    });
    const [, inbound, transfer, missed, newYear] = calls;
    expect([inbound!.direction, inbound!.callerNumber, inbound!.extension, inbound!.answeredBy]).toEqual(['inbound', '02079460999', '202', '202']);
    expect([transfer!.transferredTo, transfer!.answeredBy, transfer!.extra.reasonChanged]).toEqual(['205', '205', 'ReplacedDst']);
    expect([missed!.disposition, missed!.hangupCause, missed!.talkSeconds, missed!.ringSeconds]).toEqual(['no_answer', 16, 0, 25]);
    expect([newYear!.startedAt, newYear!.endedAt, newYear!.talkSeconds, newYear!.accountCode, newYear!.extra.billCost, newYear!.extra.billName]).toEqual([
      '2025-12-31T23:59:50+00:00', '2026-01-01T00:01:10+00:00', 72, '4410', '0.06', 'UK Intl',
    ]);
  });

  it('reads a newer build (26 fields, lower-case spellings, display names)', () => {
    const { calls } = parseAll(threeCx, fixture('cdr-v16.log'), london);
    expect(calls.map((c) => [c.direction, c.disposition, c.hangupCause, c.callerNumber, c.callerName, c.talkSeconds])).toEqual([
      ['inbound', 'answered', 16, '02079460999', 'ACME LTD', 150],
      ['outbound', 'answered', 16, '201', 'Alice Smith', 45],
      ['internal', 'answered', 16, '202', 'Zoë Müller', 60],
      ['outbound', 'busy', 17, '201', 'Alice Smith', 0],
      ['inbound', 'no_answer', 16, null, null, 0],
      ['outbound', 'answered', 16, '205', "DR. O'NEIL", 50],
    ]);
    expect(calls[2]!.extra).toMatchObject({ fromType: 'extension', toType: 'extension', toDispname: 'José Núñez' });
    expect([calls[5]!.startedAt, calls[5]!.endedAt]).toEqual(['2026-03-29T00:59:30+00:00', '2026-03-29T02:00:30+01:00']);
  });

  it('reads the missed queue calls of builds that write 27 fields', () => {
    const r = threeCx.createParser(london)(
      '20007,00000D1A2B3C4D64_107,00:00:00,2026-01-15 13:00:00,,2026-01-15 13:00:40,src_participant_terminated,07700900123,800,10000,800,800,,,,,,,,Chain: 07700900123;10000;800;,external_line,queue,,,Sales,,201;202',
    );
    expect(r.kind === 'call' && [r.call.direction, r.call.disposition, r.call.extra.missedQueueCalls]).toEqual(['inbound', 'no_answer', '201;202']);
  });

  it('reports each damaged record with its reason', () => {
    const { results } = parseAll(threeCx, fixture('damaged.bad.log'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'unbalanced quote in field 8' },
      { kind: 'error', error: 'expected 20, 26 or 27 fields, found 9' },
      { kind: 'error', error: 'time-start "2026/02/30 08:00:12" is not a real date and time' },
      { kind: 'error', error: 'duration "abc" is not hh:mm:ss' },
      { kind: 'error', error: 'time-start is empty' },
      { kind: 'error', error: 'time-end "NULL" is not YYYY/MM/DD hh:mm:ss' },
      { kind: 'error', error: 'callid is empty' },
      { kind: 'error', error: 'time-answered 2026/01/15 08:03:19 is not between time-start and time-end' },
      { kind: 'error', error: 'duration 00:09:00 exceeds the 67 s from time-start to time-end' },
    ]);
  });
});
