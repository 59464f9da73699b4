import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCsv } from '../../framing/csv.js';
import { describeConformance, parseAll } from '../conformance.js';
import { mergeLegs } from '../legs.js';
import { ciscoCucm, CUCM_COLUMNS, FieldScanner } from './format.js';

describeConformance(ciscoCucm);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const FILE = 'cdr_StandAloneCluster_01_202601150800_1';
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

describe('cisco-cucm', () => {
  it('skips the header and types lines and reads a record with every field in place', () => {
    const { calls, results } = parseAll(ciscoCucm, fixture(FILE), london);
    expect(results.slice(0, 2)).toEqual([{ kind: 'skip', reason: 'header line' }, { kind: 'skip', reason: 'field types line' }]);
    expect(calls).toHaveLength(9);
    expect(calls[0]).toEqual({
      format: 'cisco-cucm',
      callId: '6b2f1c3a-9d4e-4f5a-8b6c-000000000001',
      direction: 'outbound',
      startedAt: '2026-01-15T08:00:05+00:00',
      answeredAt: '2026-01-15T08:00:12+00:00',
      endedAt: '2026-01-15T08:05:12+00:00',
      ringSeconds: 7,
      talkSeconds: 300,
      holdSeconds: null,
      durationSeconds: 307,
      disposition: 'answered',
      callerNumber: '2001',
      callerName: null,
      dialedNumber: '902079460123',
      calledNumber: '902079460123',
      extension: '2001',
      trunk: 'SIP_Trunk_PSTN',
      accountCode: '4410',
      transferredTo: null,
      answeredBy: '902079460123',
      hangupCause: 16,
      extra: {
        globalCallId: '1-2000101',
        origCause: 16,
        destCause: 0,
        origLegCallIdentifier: '21000002',
        destLegIdentifier: '21000003',
        origDeviceName: 'SEP0023AB45CD01',
        destDeviceName: 'SIP_Trunk_PSTN',
        globalCallId_ClusterID: 'StandAloneCluster',
        callingPartyNumberPartition: 'Internal_PT',
        finalCalledPartyNumberPartition: 'PSTN_PT',
      },
      raw: fixture(FILE).split('\n')[2],
    });
  });

  it('reads causes, forwards, hunt groups, empty numbers and the New Year', () => {
    const { calls } = parseAll(ciscoCucm, fixture(FILE), london);
    const [, busy, , , voicemail, hunt, withheld, internal, newYear] = calls;
    expect([busy!.direction, busy!.disposition, busy!.hangupCause, busy!.answeredAt, busy!.ringSeconds]).toEqual(['inbound', 'busy', 17, null, 1]);
    expect([voicemail!.dialedNumber, voicemail!.calledNumber, voicemail!.answeredBy, voicemail!.transferredTo, voicemail!.extra.lastRedirectDn]).toEqual(['2004', '8000', '8000', '8000', '2004']);
    expect([hunt!.answeredBy, hunt!.extra.huntPilotDN, hunt!.extension]).toEqual(['2012', '2100', '2012']);
    expect([withheld!.callerNumber, withheld!.direction]).toEqual([null, 'inbound']);
    expect(internal!.direction).toBe('internal');
    expect([newYear!.startedAt, newYear!.endedAt, newYear!.talkSeconds]).toEqual(['2025-12-31T23:59:50+00:00', '2026-01-01T00:01:10+00:00', 72]);
  });

  it('reads a file without the types line, across the DST change', () => {
    const { calls, results } = parseAll(ciscoCucm, fixture('cdr_StandAloneCluster_02_202603290100_2'), london);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'header line' });
    expect(calls.map((c) => [c.startedAt, c.endedAt, c.talkSeconds, c.disposition])).toEqual([
      ['2026-03-29T00:59:30+00:00', '2026-03-29T02:00:30+01:00', 50, 'answered'],
      ['2026-03-29T02:30:00+01:00', '2026-03-29T02:30:20+01:00', 0, 'no_answer'],
    ]);
  });

  it('follows the header line when a cluster writes fewer columns', () => {
    const columns = ['cdrRecordType', 'globalCallID_callManagerId', 'globalCallID_callId', 'dateTimeOrigination', 'dateTimeConnect', 'dateTimeDisconnect', 'duration', 'callingPartyNumber', 'finalCalledPartyNumber'];
    const parse = ciscoCucm.createParser(london);
    expect(parse(columns.join(','))).toEqual({ kind: 'skip', reason: 'header line' });
    const r = parse('1,2,77,1768464005,0,1768464020,0,"2001","2002"');
    expect(r.kind === 'call' && [r.call.callId, r.call.extra.globalCallId, r.call.disposition, r.call.durationSeconds]).toEqual(['2-77-', '2-77', 'unknown', 15]);
    expect(parse('"cdrRecordType","callingPartyNumber"')).toEqual({ kind: 'error', error: 'header line lacks globalCallID_callManagerId, globalCallID_callId, dateTimeOrigination, dateTimeConnect, dateTimeDisconnect, duration' });
    expect(parse('2,1,77,3,1768464005')).toEqual({ kind: 'error', error: 'expected 9 fields, found 5' });
  });

  it('joins the legs of one globalCallID: a transfer', () => {
    const { calls } = parseAll(ciscoCucm, fixture(FILE), london);
    const logical = mergeLegs(calls, ciscoCucm.legKeys!);
    expect(logical).toHaveLength(8);
    const transfer = logical.find((l) => l.legs.length === 2)!;
    expect(transfer.call).toMatchObject({
      startedAt: '2026-01-15T09:10:00+00:00',
      answeredAt: '2026-01-15T09:10:06+00:00',
      endedAt: '2026-01-15T09:13:10+00:00',
      talkSeconds: 180,
      durationSeconds: 190,
      answeredBy: '2003',
      transferredTo: '2005',
      extra: { globalCallId: '1-2000103', legs: 2 },
    });
  });

  it('reports each damaged record with its reason', () => {
    const { results } = parseAll(ciscoCucm, fixture('damaged.bad.csv'), london);
    expect(results).toEqual([
      { kind: 'skip', reason: 'header line' },
      { kind: 'error', error: 'dateTimeOrigination "abc" is not a number' },
      { kind: 'error', error: `expected ${CUCM_COLUMNS.length} fields, found 60` },
      { kind: 'error', error: 'dateTimeOrigination 5000000000 is not a real time' },
      { kind: 'error', error: 'duration "NULL" is not a number' },
      { kind: 'error', error: 'text after the closing quote of field 9' },
      { kind: 'error', error: 'dateTimeDisconnect 1768460000 is not at or after dateTimeOrigination 1768464005' },
      { kind: 'error', error: 'globalCallID_callId is empty' },
      { kind: 'error', error: 'cdrRecordType 7 is not 0, 1 or 2' },
    ]);
  });

  it('finds the same fields as splitCsv without cutting the line', () => {
    const scanner = new FieldScanner();
    fc.assert(
      fc.property(fc.array(fc.constantFrom('"', ',', 'a', ' ', '""', 'é'), { maxLength: 40 }).map((parts) => parts.join('')), (line) => {
        const split = splitCsv(line);
        const problem = scanner.scan(line);
        if (!split.ok) {
          expect(problem).toBe(split.error);
        } else {
          expect(problem).toBeNull();
          expect(Array.from({ length: scanner.count }, (_, i) => scanner.text(i))).toEqual(split.fields.map((f) => f.trim()));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
