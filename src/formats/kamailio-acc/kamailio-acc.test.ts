import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../core/call.js';
import { describeConformance, parseAll } from '../conformance.js';
import { kamailioAcc, kamailioRowToCall } from './format.js';

describeConformance(kamailioAcc);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

describe('kamailio-acc', () => {
  it('pairs the answered INVITE with the BYE of its call_id, whatever runs between them', () => {
    const text = fixture('kamailio-syslog.log');
    const { calls, results } = parseAll(kamailioAcc, text, london);
    expect(results.filter((r) => r.kind === 'skip')).toEqual([
      { kind: 'skip', reason: 'acc record of a ACK transaction' },
      { kind: 'skip', reason: 'not an acc record' },
    ]);
    expect(calls).toHaveLength(7);
    const lines = text.split('\n');
    expect(calls[0]).toEqual({
      format: 'kamailio-acc',
      callId: '3c2a9b1e4f@10.0.0.21',
      direction: 'outbound',
      startedAt: '2026-01-15T08:00:12+00:00',
      answeredAt: '2026-01-15T08:00:12+00:00',
      endedAt: '2026-01-15T08:05:12+00:00',
      ringSeconds: null,
      talkSeconds: 300,
      holdSeconds: null,
      durationSeconds: 300,
      disposition: 'answered',
      callerNumber: '201',
      callerName: null,
      dialedNumber: '02079460123',
      calledNumber: '02079460123',
      extension: '201',
      trunk: null,
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: 16,
      extra: { from_tag: 'as5f3a1b2c', to_tag: '7d8e9f10', src_domain: 'pbx.example.com', dst_domain: 'sip.carrier.example', src_ip: '10.0.0.21', acc: 'transaction answered', sipCode: 200, endedBy: 'caller' },
      raw: `${lines[0]}\n${lines[4]}`,
    });
    const summary = (c: Call) => [c.callId, c.direction, c.disposition, c.hangupCause, c.talkSeconds, c.extra.sipCode];
    expect(calls.slice(1).map(summary)).toEqual([
      ['a84b4c76e66710@198.51.100.7', 'inbound', 'answered', 16, 340, 200],
      ['5e6f7a8b9c@198.51.100.7', 'inbound', 'busy', 17, 0, 486],
      ['6f7a8b9c0d@198.51.100.7', 'inbound', 'no_answer', 16, 0, 487],
      ['7a8b9c0d1e@10.0.0.23', 'outbound', 'failed', 1, 0, 404],
      ['8b9c0d1e2f@10.0.0.24', 'internal', 'no_answer', 18, 0, 480],
      ['9c0d1e2f3a@10.0.0.25', 'outbound', 'answered', 16, 72, 200],
    ]);
    expect([calls[1]!.callerName, calls[1]!.extra.endedBy]).toEqual(['Zoë Müller', 'callee']);
    expect(calls[3]!.callerNumber).toBeNull();
    expect([calls[6]!.startedAt, calls[6]!.endedAt]).toEqual(['2025-12-31T23:59:58+00:00', '2026-01-01T00:01:10+00:00']);
  });

  it('reads older OpenSER lines (comma-separated, no timestamp) by their syslog date', () => {
    const { calls } = parseAll(kamailioAcc, fixture('openser-syslog.log'), { timeZone: 'Europe/London', referenceDate: '2026-03-30' });
    expect(calls.map((c) => [c.startedAt, c.endedAt, c.talkSeconds, c.disposition, c.extra.sipReason ?? null])).toEqual([
      ['2026-01-15T10:30:00+00:00', '2026-01-15T10:31:30+00:00', 90, 'answered', null],
      ['2026-01-15T10:40:00+00:00', '2026-01-15T10:40:00+00:00', 0, 'busy', 'Busy Here'],
      ['2026-03-29T00:59:30+00:00', '2026-03-29T02:00:30+01:00', 60, 'answered', null],
    ]);
  });

  it('keeps an INVITE without BYE, and a BYE without INVITE, as marked calls', () => {
    const parse = kamailioAcc.createParser(london);
    const assembler = kamailioAcc.createAssembler!(london);
    const lines = fixture('kamailio-syslog.log').split('\n');
    const events = [lines[3]!, lines[4]!].map((l) => parse(l));
    const out = events.flatMap((r) => (r.kind === 'event' ? assembler.push(r.event) : []));
    expect(out.map((c) => [c.callId, c.extra.unpaired])).toEqual([['3c2a9b1e4f@10.0.0.21', 'BYE without an answered INVITE']]);
    const open = assembler.flush();
    expect(open.map((c) => [c.callId, c.disposition, c.endedAt, c.extra.unterminated])).toEqual([['a84b4c76e66710@198.51.100.7', 'answered', null, 'no BYE record']]);
  });

  it('reports each damaged line with its reason', () => {
    const { results } = parseAll(kamailioAcc, fixture('damaged.bad.log'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'code "abc" is not a SIP response code' },
      { kind: 'error', error: 'timestamp "NULL" is not a time' },
      { kind: 'error', error: 'call_id is missing' },
      { kind: 'error', error: 'method is missing' },
      { kind: 'error', error: 'syslog time "Feb 30 10:00:00" is not a real date and time' },
      { kind: 'error', error: 'acc record without "<event>: " after "ACC: "' },
      { kind: 'error', error: 'no timestamp and no syslog time' },
      { kind: 'error', error: 'timestamp "99999999999" is not a time' },
    ]);
  });
});

describe('kamailioRowToCall', () => {
  const madrid = { timeZone: 'Europe/Madrid', referenceDate: '2015-10-22' };

  it('reads acc rows as events and missed_calls rows as calls', () => {
    const acc = kamailioRowToCall({ id: 1, method: 'INVITE', from_tag: 'f1', to_tag: 't1', callid: 'c1@h', sip_code: '200', sip_reason: 'OK', time: '2015-10-21 12:13:10', src_user: '904151440', dst_user: '1000' }, 'acc', madrid);
    expect(acc).toMatchObject({ kind: 'event', event: { callRef: 'c1@h', event: 'answered', occurredAt: '2015-10-21T12:13:10+02:00' } });
    const missed = kamailioRowToCall({ id: 2, method: 'INVITE', from_tag: 'f2', to_tag: '', callid: 'c2@h', sip_code: '486', sip_reason: 'Busy Here', time: new Date('2015-10-21T10:14:00Z'), src_user: '1001', dst_user: '904151440' }, 'missed_calls', madrid);
    expect(missed.kind === 'call' && [missed.call.startedAt, missed.call.disposition, missed.call.hangupCause, missed.call.direction]).toEqual(['2015-10-21T12:14:00+02:00', 'busy', 17, 'outbound']);
  });

  it('reads cdrs and collection_cdrs rows (seed 004) as whole calls', () => {
    const row = { cdr_id: 7, src_username: '904151440', src_domain: 'sip.example', dst_username: '1000', dst_domain: 'pbx.example', dst_ousername: '1000', call_start_time: '2015-10-21 12:13:10', duration: 55, sip_call_id: '96aa82fe@h', sip_from_tag: 'a', sip_to_tag: 'b', src_ip: '10.0.0.1', cost: 0, rated: 0 };
    const cdr = kamailioRowToCall(row, 'cdrs', madrid);
    expect(cdr.kind === 'call' && [cdr.call.callId, cdr.call.startedAt, cdr.call.endedAt, cdr.call.talkSeconds, cdr.call.disposition, cdr.call.direction]).toEqual([
      '96aa82fe@h', '2015-10-21T12:13:10+02:00', '2015-10-21T12:14:05+02:00', 55, 'answered', 'inbound',
    ]);
    const missed = kamailioRowToCall({ ...row, duration: 0, sip_code: '480', sip_reason: 'Temporarily Unavailable' }, 'collection_cdrs', madrid);
    expect(missed.kind === 'call' && [missed.call.disposition, missed.call.hangupCause, missed.call.extra.sipReason]).toEqual(['no_answer', 18, 'Temporarily Unavailable']);
  });

  it('answers NULLs, text in numeric columns and impossible dates with the reason', () => {
    const row = { src_username: '1', dst_username: '2', call_start_time: '2015-10-21 12:13:10', duration: 5, sip_call_id: 'x' };
    expect(kamailioRowToCall({ ...row, call_start_time: null }, 'cdrs', madrid)).toEqual({ kind: 'error', error: 'call_start_time is empty' });
    expect(kamailioRowToCall({ ...row, call_start_time: '0000-00-00 00:00:00' }, 'cdrs', madrid)).toEqual({ kind: 'error', error: 'call_start_time "0000-00-00 00:00:00" is not a real date and time' });
    expect(kamailioRowToCall({ ...row, duration: 'abc' }, 'cdrs', madrid)).toEqual({ kind: 'error', error: 'duration "abc" is not a number of seconds' });
    expect(kamailioRowToCall({ ...row, sip_call_id: null }, 'cdrs', madrid)).toEqual({ kind: 'error', error: 'sip_call_id is empty' });
    expect(kamailioRowToCall({ ...row, sip_code: 'OK' }, 'collection_cdrs', madrid)).toEqual({ kind: 'error', error: 'sip_code "OK" is not a SIP response code' });
    expect(kamailioRowToCall({ method: 'INVITE', callid: 'c', sip_code: '200', time: '2015-02-30 10:00:00' }, 'acc', madrid)).toEqual({ kind: 'error', error: 'time "2015-02-30 10:00:00" is not a real date and time' });
  });
});
