import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conformance, describeConformance, parseAll } from '../conformance.js';
import { mergeLegs } from '../legs.js';
import { asteriskCsv, asteriskCsvFormat, CDR_CSV_COLUMNS, columnsFromCustomTemplate } from './format.js';

describeConformance(asteriskCsv);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

describe('asterisk-csv', () => {
  it('reads an Asterisk 13 Master.csv record with every field in place', () => {
    const { calls } = parseAll(asteriskCsv, fixture('Master-13.csv'), london);
    expect(calls).toHaveLength(14);
    expect(calls[0]).toEqual({
      format: 'asterisk-csv',
      callId: '1768464005.18',
      direction: 'outbound',
      startedAt: '2026-01-15T08:00:05+00:00',
      answeredAt: '2026-01-15T08:00:12+00:00',
      endedAt: '2026-01-15T08:05:12+00:00',
      ringSeconds: 7,
      talkSeconds: 300,
      holdSeconds: null,
      durationSeconds: 307,
      disposition: 'answered',
      callerNumber: '201',
      callerName: 'Alice Smith',
      dialedNumber: '02079460123',
      calledNumber: '02079460123',
      extension: '201',
      trunk: 'trunk01',
      accountCode: null,
      transferredTo: null,
      answeredBy: '02079460123',
      hangupCause: 16,
      extra: {
        asteriskDisposition: 'ANSWERED',
        uniqueid: '1768464005.18',
        linkedid: '1768464005.18',
        channel: 'PJSIP/201-00000012',
        dstchannel: 'PJSIP/trunk01-00000013',
        dcontext: 'from-internal',
        lastapp: 'Dial',
        lastdata: 'PJSIP/02079460123@trunk01,60,Tt',
        amaflags: 'DOCUMENTATION',
        sequence: 24,
      },
      raw: fixture('Master-13.csv').split('\n')[0],
    });
  });

  it('maps every disposition to a Q.850 cause and the contract disposition', () => {
    const { calls } = parseAll(asteriskCsv, fixture('Master-13.csv'), london);
    const byDisposition = new Map(calls.map((c) => [c.extra.asteriskDisposition, [c.disposition, c.hangupCause]]));
    expect(Object.fromEntries(byDisposition)).toEqual({
      ANSWERED: ['answered', 16],
      'NO ANSWER': ['no_answer', 19],
      BUSY: ['busy', 17],
      FAILED: ['failed', 41],
      CONGESTION: ['failed', 34],
    });
  });

  it('keeps non-ASCII names, empty numbers and calls across midnight on New Year', () => {
    const { calls } = parseAll(asteriskCsv, fixture('Master-13.csv'), london);
    expect(calls[3]!.callerName).toBe('Zoë Müller');
    const withheld = calls[11]!;
    expect([withheld.callerNumber, withheld.callerName, withheld.direction, withheld.extension]).toEqual([null, null, 'inbound', '206']);
    const newYear = calls[13]!;
    expect([newYear.startedAt, newYear.endedAt, newYear.talkSeconds, newYear.accountCode, newYear.callerName, newYear.extra.amaflags]).toEqual([
      '2025-12-31T23:59:50+00:00', '2026-01-01T00:01:10+00:00', 72, '4410', 'Åsa Öberg', 'BILLING',
    ]);
  });

  it('reads pre-12 records (18 columns) across the spring DST change', () => {
    const { calls } = parseAll(asteriskCsv, fixture('Master-1.8.csv'), london);
    expect(calls.map((c) => [c.startedAt, c.endedAt, c.durationSeconds, c.talkSeconds, c.extra.linkedid ?? null])).toEqual([
      ['2026-03-29T00:59:30+00:00', '2026-03-29T02:00:30+01:00', 60, 50, null],
      ['2026-03-29T02:30:00+01:00', '2026-03-29T02:30:20+01:00', 20, 0, null],
      ['2026-03-29T02:30:00+01:00', '2026-03-29T02:30:20+01:00', 20, 0, null],
      ['2026-03-29T09:15:00+01:00', '2026-03-29T09:16:09+01:00', 69, 60, null],
    ]);
    expect(calls[3]!.extra.userfield).toBe('sales');
    // Without linkedid the CDRs of one Dial still share the caller's uniqueid.
    const logical = mergeLegs(calls, asteriskCsv.legKeys!);
    expect(logical.map((l) => [l.legs.length, l.call.disposition])).toEqual([[1, 'answered'], [2, 'no_answer'], [1, 'answered']]);
  });

  it('joins the legs of a transfer, a ring group and a forward to voicemail by linkedid', () => {
    const { calls } = parseAll(asteriskCsv, fixture('Master-13.csv'), london);
    const logical = mergeLegs(calls, asteriskCsv.legKeys!);
    expect(logical).toHaveLength(10);
    const summary = logical.map((l) => ({
      legs: l.legs.length,
      startedAt: l.call.startedAt,
      endedAt: l.call.endedAt,
      talk: l.call.talkSeconds,
      ring: l.call.ringSeconds,
      disposition: l.call.disposition,
      answeredBy: l.call.answeredBy,
      transferredTo: l.call.transferredTo,
    }));
    // In start order: the New Year call first.
    expect(logical[0]!.call.startedAt).toBe('2025-12-31T23:59:50+00:00');
    expect(summary.slice(2, 5)).toEqual([
      { legs: 2, startedAt: '2026-01-15T09:10:00+00:00', endedAt: '2026-01-15T09:13:10+00:00', talk: 180, ring: 6, disposition: 'answered', answeredBy: '200', transferredTo: '205' },
      { legs: 3, startedAt: '2026-01-15T10:00:00+00:00', endedAt: '2026-01-15T10:02:38+00:00', talk: 150, ring: 8, disposition: 'answered', answeredBy: '202', transferredTo: null },
      { legs: 2, startedAt: '2026-01-15T11:00:00+00:00', endedAt: '2026-01-15T11:00:55+00:00', talk: 35, ring: 20, disposition: 'answered', answeredBy: 'VoiceMail', transferredTo: null },
    ]);
    const ringGroup = logical[3]!;
    expect(ringGroup.call.extra).toMatchObject({ legs: 3, legCallIds: '1768471200.48 1768471200.48 1768471200.48', answeredLeg: '1768471200.48' });
    expect(ringGroup.call.raw.split('\n')).toHaveLength(3);
    expect(ringGroup.legs.map((c) => c.disposition)).toEqual(['no_answer', 'answered', 'no_answer']);
    // The unanswered call stays one leg, unchanged.
    expect(logical[9]!.call).toBe(calls[12]);
    expect(logical[9]!.call.disposition).toBe('no_answer');
  });

  it('reports each damaged record with its reason', () => {
    const { results } = parseAll(asteriskCsv, fixture('damaged.bad.csv'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'unbalanced quote in field 20' },
      { kind: 'error', error: 'expected 18 or 21 fields, found 10' },
      { kind: 'error', error: 'start "2026-02-30 08:00:05" is not a real date and time' },
      { kind: 'error', error: 'billsec "abc" is not a whole number of seconds' },
      { kind: 'error', error: 'duration "NULL" is not a whole number of seconds' },
      { kind: 'error', error: 'start is empty' },
      { kind: 'error', error: 'disposition "ANSWERING" is not ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION' },
      { kind: 'error', error: 'end 2026-01-15 07:05:12 is before start 2026-01-15 08:00:05' },
      { kind: 'error', error: 'billsec 9 exceeds duration 5' },
    ]);
  });

  it('reads a cdr_custom column order, and round-trips it', () => {
    const template = '"${CDR(uniqueid)}","${CDR(linkedid)}","${CDR(start)}","${CDR(answer)}","${CDR(end)}","${CDR(src)}","${CDR(dst)}","${CDR(dcontext)}","${CDR(clid)}","${CDR(dstchannel)}","${CDR(duration)}","${CDR(billsec)}","${CDR(disposition)}","${CDR(accountcode)}","${CDR(sequence)}"';
    const columns = columnsFromCustomTemplate(template);
    expect(columns.slice(0, 3)).toEqual(['uniqueid', 'linkedid', 'start']);
    // A mapping line as in cdr_custom.conf, with functions inside columns and a column that is no CDR variable.
    expect(columnsFromCustomTemplate('Master.csv => ${CSV_QUOTE(${CDR(clid)})},${CSV_QUOTE(${CHANNEL(name)})},"fixed",${CDR(billsec,f)},${CSV_QUOTE(${CDR(start)})}')).toEqual([
      'clid', 'column2', 'column3', 'billsec', 'start',
    ]);
    const custom = asteriskCsvFormat(columns);
    const r = custom.createParser(london)('"1768464005.18","1768464005.18","2026-01-15 08:00:05","2026-01-15 08:00:12","2026-01-15 08:05:12","201","02079460123","from-internal","""Alice Smith"" <201>","PJSIP/trunk01-00000013","307","300","ANSWERED","","24"');
    expect(r.kind === 'call' && [r.call.callId, r.call.talkSeconds, r.call.direction, r.call.callerName, r.call.extra.sequence]).toEqual(['1768464005.18', 300, 'outbound', 'Alice Smith', 24]);
    expect(custom.createParser(london)(CDR_CSV_COLUMNS.map(() => '""').join(','))).toEqual({ kind: 'error', error: 'expected 15 fields, found 18' });
    conformance.renderRoundTrips(custom);
  });

  it('round-trips the pre-12 layout too, and refuses a column list without the times', () => {
    conformance.renderRoundTrips(asteriskCsvFormat(CDR_CSV_COLUMNS));
    expect(() => asteriskCsvFormat(['src', 'dst'])).toThrow('asterisk-csv columns lack start, duration, billsec, disposition');
  });

  it('renders ring groups and transfers as several legs of one linkedid', () => {
    const sim = { index: 6, direction: 'inbound' as const, startedAtMs: Date.UTC(2026, 0, 15, 9), ringSeconds: 5, talkSeconds: 40, answered: true, extension: '210', externalNumber: '02079460123', callerName: '', trunk: '01', accountCode: null };
    expect(asteriskCsv.render(sim, london)).toHaveLength(3);
    expect(asteriskCsv.render({ ...sim, index: 8 }, london)).toHaveLength(2);
    expect(asteriskCsv.render({ ...sim, index: 7 }, london)).toHaveLength(1);
  });
});

describe('the night the clocks go back', () => {
  it('reads an end that prints earlier than the start as the repeated hour', () => {
    const line =
      '"4454","214","258","from-internal","""Zoë Müller"" <214>","PJSIP/214-000bf46c","PJSIP/258-000bf46e","Dial","PJSIP/258,30",' +
      '"2026-10-25 01:59:27","2026-10-25 01:59:30","2026-10-25 01:08:39",552,549,"ANSWERED","DOCUMENTATION","1792889967.783468","","","1792889967.783468",783468';
    const r = asteriskCsv.createParser(london)(line);
    expect(r.kind).toBe('call');
    if (r.kind !== 'call') return;
    // 01:59:27 BST is 00:59:27 UTC; 01:08:39 after the change is GMT: 552 s later.
    expect([r.call.startedAt, r.call.answeredAt, r.call.endedAt]).toEqual(['2026-10-25T01:59:27+01:00', '2026-10-25T01:59:30+01:00', '2026-10-25T01:08:39+00:00']);
    expect(r.call.durationSeconds).toBe(552);
  });
});
