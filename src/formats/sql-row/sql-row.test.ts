import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConformance, parseAll } from '../conformance.js';
import { sqlRow } from './format.js';

describeConformance(sqlRow);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

describe('sql-row', () => {
  it('reads an Asterisk cdr row: clid split, dispositions, fractional seconds rounded', () => {
    const { calls } = parseAll(sqlRow, fixture('asterisk-cdr.txt'), london);
    expect(calls).toHaveLength(4);
    expect(calls[0]).toEqual({
      format: 'sql-row',
      callId: '1768464005.101',
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
      dialedNumber: '201',
      calledNumber: '201',
      extension: '201',
      trunk: null,
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: 16,
      extra: {
        dcontext: 'from-trunk',
        channel: 'PJSIP/trunk-00000001',
        dstchannel: 'PJSIP/201-00000002',
        lastapp: 'Dial',
        lastdata: 'PJSIP/201,30',
        amaflags: 3,
        userfield: '',
        linkedid: '1768464005.101',
        dispositionText: 'ANSWERED',
      },
      raw: fixture('asterisk-cdr.txt').split('\n')[0],
    });
    expect(calls.map((c) => [c.direction, c.disposition, c.hangupCause, c.durationSeconds, c.talkSeconds, c.accountCode])).toEqual([
      ['inbound', 'answered', 16, 126, 120, null],
      ['outbound', 'no_answer', 19, 31, 0, '4711'],
      ['internal', 'busy', 17, 7, 0, null],
      ['inbound', 'answered', 16, 70, 65, null],
    ]);
    // Across the spring DST change in London.
    expect([calls[3]!.startedAt, calls[3]!.endedAt, calls[3]!.callerName]).toEqual(['2026-03-29T00:59:00+00:00', '2026-03-29T02:00:10+01:00', 'Zoë Müller']);
  });

  it('reads FreeSWITCH rows: cause names, Q.850 codes, stamps with an offset, durations from the stamps', () => {
    const { calls } = parseAll(sqlRow, fixture('freeswitch-cdr-sqlite.txt'), london);
    expect(calls.map((c) => [c.startedAt, c.answeredAt, c.endedAt, c.durationSeconds, c.talkSeconds, c.disposition, c.hangupCause])).toEqual([
      ['2015-01-14T17:58:01+00:00', '2015-01-14T17:58:01+00:00', '2015-01-14T17:59:56+00:00', 115, 115, 'answered', 16],
      ['2026-01-15T08:00:05+00:00', null, '2026-01-15T08:00:35+00:00', 30, 0, 'no_answer', 16],
      ['2026-01-15T08:00:00+00:00', '2026-01-15T08:00:04+00:00', '2026-01-15T08:01:04+00:00', 64, 60, 'answered', 17],
    ]);
    expect(calls[1]!.extra).toEqual({ context: 'public', bleg_uuid: null, dispositionText: 'ORIGINATOR_CANCEL' });
  });

  it('reads Kamailio acc and missed_calls rows: SIP codes to Q.850 and dispositions', () => {
    const { calls } = parseAll(sqlRow, fixture('kamailio-acc.txt'), london);
    expect(calls.map((c) => [c.durationSeconds, c.talkSeconds, c.disposition, c.hangupCause, c.extra.sipCode ?? null, c.direction])).toEqual([
      [150, 150, 'answered', 16, 200, 'unknown'],
      [0, 0, 'busy', 17, 486, 'outbound'],
      [0, 0, 'no_answer', 102, null, 'internal'],
      [42, 42, 'answered', 16, null, 'outbound'],
    ]);
  });

  it('names the field and the value of every bad row', () => {
    const { results } = parseAll(sqlRow, fixture('bad-rows.bad.txt'), london);
    expect(results.map((r) => (r.kind === 'error' ? r.error : r.kind))).toEqual([
      'startedAt is NULL',
      'durationSeconds "abc" is not a number',
      'talkSeconds "1O" is not a number',
      'startedAt "2026-02-30 08:00:05" is not a real date and time',
      'startedAt "15/01/2026 08:00" is not a date and time (YYYY-MM-DD hh:mm:ss)',
      'talkSeconds 50 exceeds durationSeconds 10',
      'durationSeconds and endedAt are both NULL',
      'disposition "MAYBE" is not a known disposition, hangup cause or SIP code',
      'durationSeconds -3 is negative',
      'startedAt is empty ("0000-00-00 00:00:00")',
      'talkSeconds is NULL for an answered call, and answeredAt or endedAt is NULL too',
      'unknown field "nonsense"',
      'not a JSON object',
      'sipCode "99" is not a SIP response code (200…699)',
    ]);
  });

  it('takes epoch seconds as instants and 0 as no time', () => {
    const parse = sqlRow.createParser(london);
    const r = parse(JSON.stringify({ startedAt: 1768464005, answeredAt: 0, durationSeconds: 12, talkSeconds: 0, disposition: 19 }));
    expect(r.kind === 'call' && [r.call.startedAt, r.call.answeredAt, r.call.disposition, r.call.hangupCause]).toEqual([
      '2026-01-15T08:00:05+00:00',
      null,
      'no_answer',
      19,
    ]);
  });
});
