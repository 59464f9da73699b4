import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call, CallEvent } from '../../core/call.js';
import { describeConformance, parseAll } from '../conformance.js';
import type { ParseResult } from '../format.js';
import { gatewayEvents } from './format.js';

describeConformance(gatewayEvents);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };
const taipei = { timeZone: 'Asia/Taipei', referenceDate: '2004-01-27' };
const byId = (list: Call[], id: string, n = 0): Call => list.filter((c) => c.callId === id)[n]!;
const events = (results: ParseResult[]): CallEvent[] => results.flatMap((r) => (r.kind === 'event' ? [r.event] : []));

describe('gateway-events', () => {
  it("assembles the seed's event view into its calls", () => {
    const { calls } = parseAll(gatewayEvents, fixture('seed-003.txt'), taipei);
    expect(calls.map((c) => c.callId)).toEqual(['8200_000C2A020082:1', '8200_000C2A020082:2', '8200_000C2A020082:3']);
    expect(calls[0]).toEqual({
      format: 'gateway-events',
      callId: '8200_000C2A020082:1',
      direction: 'internal',
      startedAt: '2004-01-26T23:13:11+08:00',
      answeredAt: '2004-01-26T23:13:14+08:00',
      endedAt: '2004-01-26T23:15:30+08:00',
      ringSeconds: 1,
      talkSeconds: 136,
      holdSeconds: null,
      durationSeconds: 139,
      disposition: 'answered',
      callerNumber: null,
      callerName: null,
      dialedNumber: '2252301',
      calledNumber: '2252301',
      extension: '1',
      trunk: null,
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: { gateway: '8200_000C2A020082', callRef: '1', port: '1', notation: 'call out', dialed: '2252, 3, 0, 1', info: 'C(18) M(17)' },
      raw: [
        '8200_000C2A020082\t2004/01/26 23:13:11\t1\t1\tHOOK_OFF\t\t\t\t',
        '8200_000C2A020082\t2004/01/26 23:13:13\t1\t\tDIAL\t2252\t\t\t',
        '8200_000C2A020082\t2004/01/26 23:13:13\t1\t\tRING_BACK\t\t\t\t',
        '8200_000C2A020082\t2004/01/26 23:13:14\t1\t\tTALK\t\t\tC(18) M(17)\t',
        '8200_000C2A020082\t2004/01/26 23:13:16\t1\t\tDIAL\t3\t\t\t',
        '8200_000C2A020082\t2004/01/26 23:13:16\t1\t\tDIAL\t0\t\t\t',
        '8200_000C2A020082\t2004/01/26 23:13:17\t1\t\tDIAL\t1\t\t\t',
        '8200_000C2A020082\t2004/01/26 23:15:30\t1\t\tHOOK_ON\t\t\t\t',
      ].join('\n'),
    });
    // A PSTN caller put through over VoIP: inbound from the public network, "call out" in the seed's report.
    expect(calls[1]).toMatchObject({
      direction: 'inbound',
      startedAt: '2004-01-26T23:47:05+08:00',
      answeredAt: '2004-01-26T23:47:09+08:00',
      endedAt: '2004-01-26T23:48:44+08:00',
      talkSeconds: 95,
      durationSeconds: 99,
      callerNumber: '103',
      extra: { notation: 'call out', dialed: '2252, 8, 0, 0, 2, 3, 0', pstnCallerId: '103', pstnSeconds: 99 },
    });
    // The view stops while call-ref 3 rings: the end of the stream hands it over as it got.
    expect(calls[2]).toMatchObject({ disposition: 'no_answer', talkSeconds: 0, extra: { incomplete: true, notation: 'call out failed' } });
  });

  it("reads the seed's gateway log lines as gateway events", () => {
    const { results } = parseAll(gatewayEvents, fixture('seed-003.txt'), taipei);
    const log = events(results).filter((e) => e.callRef.startsWith('gateway:'));
    expect(log).toHaveLength(28);
    expect(log[0]).toEqual({
      format: 'gateway-events',
      callRef: 'gateway:8200_000C2A020082',
      event: 'GATEWAY_LOGIN',
      occurredAt: '2004-01-14T22:55:43+08:00',
      data: {
        gateway: '8200_000C2A020082',
        gatewayId: '8200',
        mac: '000C2A020082',
        ip: '61.222.171.22',
        peerPort: 2348,
        fxs: 2,
        fxo: 2,
        isdn: 0,
        callRefCounter: 74,
        gatewayClock: '2000/01/02 08:17:38',
      },
      raw: '2004/01/14 22:55:43\tGateway[8200] MAC[000C2A020082] From [61.222.171.22:2348] FXS(2) FXO(2) ISDN(0) CallRef(74) Time[2000/01/02 08:17:38] Login!',
    });
    expect(log.map((e) => e.event).slice(3, 7)).toEqual(['GATEWAY_RELOGIN', 'GATEWAY_LOGIN', 'GATEWAY_KICKOUT', 'GATEWAY_DISCONNECT']);
    expect(log[5]).toMatchObject({ callRef: 'gateway:8200', data: { ip: '10.10.1.111', peerPort: 2387, mac: null } });
    expect(log[7]).toMatchObject({ event: 'GATEWAY_BAD_PACKET', callRef: 'gateway:???', data: { ip: '24.232.59.13', peerPort: 51059 } });
    expect(log.find((e) => e.event === 'GATEWAY_LOGOUT')).toMatchObject({
      callRef: 'gateway:8200',
      occurredAt: '2004-01-16T02:37:06+08:00',
      data: { gatewayId: '8200', ip: '10.10.1.111', size: 21 },
    });
    expect(results.filter((r) => r.kind === 'skip')).toHaveLength(2);
  });

  it("gives the seed report's rows: notation, dialled digits, PSTN dial and times", () => {
    const { calls } = parseAll(gatewayEvents, fixture('report-2004-01-15.txt'), taipei);
    const row = (ref: string) => {
      const c = byId(calls, `8200_000C2A020082:${ref}`);
      const x = c.extra;
      return [x.port ?? '', x.notation, x.dialed ?? '', c.talkSeconds, c.startedAt.slice(11, 19), x.pstnDial ?? '', x.pstnSeconds ?? null, x.callerId ?? '', x.pstnCallerId ?? '', c.endedAt!.slice(11, 19)];
    };
    expect(row('86')).toEqual(['4', 'call out', '2252, 2, 1, 0, 5', 213, '00:04:32', '', 218, '', '105', '00:08:11']);
    expect(row('88')).toEqual(['3', 'call out', '2', 124, '00:10:51', '26735152', 127, '', '', '00:12:58']);
    expect(row('89')).toEqual(['2', 'hook on/off', '', 0, '00:16:57', '', null, '', '', '00:16:57']);
    expect(row('98')).toEqual(['1', 'call in', '', 65, '02:27:03', '', null, '8378701', '', '02:28:08']);
    expect(row('105')).toEqual(['4', 'call in', '', 6, '03:19:41', '0,', 9, '2252701', '', '03:19:50']);
    expect(row('109')).toEqual(['', 'call in reject', '', 0, '03:55:20', '', null, '8378702', '', '03:55:20']);
    expect(row('110')).toEqual(['1', 'call out failed', '2252', 0, '03:56:00', '', null, '', '', '03:56:05']);
  });

  it('maps the report rows onto the contract fields', () => {
    const { calls } = parseAll(gatewayEvents, fixture('report-2004-01-15.txt'), taipei);
    expect(byId(calls, '8200_000C2A020082:86')).toMatchObject({ direction: 'inbound', disposition: 'answered', trunk: '4', extension: null, callerNumber: '105', ringSeconds: 6 });
    expect(byId(calls, '8200_000C2A020082:88')).toMatchObject({ direction: 'outbound', dialedNumber: '26735152', extension: '3', trunk: '3' });
    expect(byId(calls, '8200_000C2A020082:89')).toMatchObject({ direction: 'unknown', disposition: 'unknown', durationSeconds: 0 });
    expect(byId(calls, '8200_000C2A020082:98')).toMatchObject({ direction: 'internal', extension: '1', callerNumber: '8378701', answeredAt: '2004-01-15T02:27:03+08:00' });
    expect(byId(calls, '8200_000C2A020082:105')).toMatchObject({ direction: 'outbound', dialedNumber: '0,', trunk: '4', extension: null });
    expect(byId(calls, '8200_000C2A020082:109')).toMatchObject({ disposition: 'rejected', extension: null });
    expect(byId(calls, '8200_000C2A020082:110')).toMatchObject({ disposition: 'busy', direction: 'internal' });
    // The same call-ref on another gateway is another call.
    expect(byId(calls, '8378_000C2A0201B2:88')).toMatchObject({ extra: { notation: 'call in' }, disposition: 'no_answer', durationSeconds: 10 });
  });

  it('crosses midnight, New Year and DST, and holds a call of more than a day', () => {
    const { calls } = parseAll(gatewayEvents, fixture('awkward.txt'), london);
    const g = (ref: string, n = 0) => byId(calls, `8200_000C2A02019C:${ref}`, n);
    expect(g('7')).toMatchObject({ startedAt: '2026-01-14T23:59:50+00:00', answeredAt: '2026-01-15T00:00:05+00:00', endedAt: '2026-01-15T00:01:05+00:00', talkSeconds: 60 });
    expect(g('8')).toMatchObject({ startedAt: '2025-12-31T23:59:58+00:00', endedAt: '2026-01-01T00:00:20+00:00', disposition: 'no_answer', callerNumber: '0223456789', direction: 'inbound' });
    expect(g('9')).toMatchObject({ endedAt: '2026-03-29T02:00:30+01:00', talkSeconds: 35, durationSeconds: 40 });
    expect(g('10')).toMatchObject({ startedAt: '2026-10-25T00:58:00+01:00', endedAt: '2026-10-25T01:20:04+01:00', talkSeconds: 1320 });
    expect(g('11')).toMatchObject({ talkSeconds: 25 * 3600, durationSeconds: 25 * 3600 + 5, dialedNumber: '0800123456', extra: { pstnSeconds: 25 * 3600 + 3 } });
  });

  it('closes an orphaned call when its call-ref starts a new call after a reboot', () => {
    const { calls } = parseAll(gatewayEvents, fixture('awkward.txt'), london);
    const twelve = calls.filter((c) => c.callId === '8200_000C2A02019C:12');
    expect(twelve.map((c) => [c.startedAt, c.disposition, c.extra.incomplete ?? false])).toEqual([
      ['2026-01-18T10:00:00+00:00', 'failed', true],
      ['2026-01-18T10:20:00+00:00', 'answered', false],
    ]);
  });

  it('accepts event lines whose trailing empty fields were left out', () => {
    const r = gatewayEvents.createParser(london)('8200\t2026/01/14 23:59:50\t7\t1\tHOOK_OFF');
    expect(r).toEqual({
      kind: 'event',
      event: {
        format: 'gateway-events',
        callRef: '8200:7',
        event: 'HOOK_OFF',
        occurredAt: '2026-01-14T23:59:50+00:00',
        data: { gateway: '8200', callRef: '7', port: '1', dialed: null, callerId: null, info: null, pPort: null },
        raw: '8200\t2026/01/14 23:59:50\t7\t1\tHOOK_OFF',
      },
    });
  });

  it("rejects the seed's event view, which does not name its gateway", () => {
    const { results } = parseAll(gatewayEvents, fixture('seed-003-view.bad.txt'), taipei);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'header line' });
    expect(results.slice(1).every((r) => r.kind === 'error' && r.error.startsWith('line without its gateway'))).toBe(true);
  });

  it('rejects damaged lines with the reason', () => {
    const { results } = parseAll(gatewayEvents, fixture('damaged.bad.txt'), london);
    expect(results.map((r) => (r.kind === 'error' ? r.error : r.kind))).toEqual([
      'event "hook_off" is not an event name like HOOK_OFF',
      'time "2004/13/26 23:13:11" is not a real date and time',
      'time "2004-01-26 23:13:11" is not yyyy/mm/dd hh:mm:ss',
      'call-ref "x1" is not a number',
      'port "one" is not a number',
      'expected 3 (gateway log) or 5 to 9 (call event) tab-separated fields, found 4',
      'expected 3 (gateway log) or 5 to 9 (call event) tab-separated fields, found 10',
      'gateway "???" names no gateway: only log lines may carry it',
      'gateway "gate way" is not an id like 8200 or 8200_000C2A020082',
      'unknown gateway log message "Rebooted"',
      'line without its gateway: a call event must start with the gateway id, e.g. 8200_000C2A020082 TAB time TAB …',
      'p-port "7x" is not a number',
    ]);
  });

  it('claims its own lines and not CSV records', () => {
    for (const name of ['seed-003.txt', 'report-2004-01-15.txt', 'awkward.txt']) {
      expect(gatewayEvents.detect(fixture(name).split(/\r?\n/).filter(Boolean).slice(0, 20)), name).toBeGreaterThanOrEqual(0.8);
    }
    const avaya = readFileSync(new URL('../avaya-ipo/fixtures/smdr-r10.txt', import.meta.url), 'utf8').split('\r\n').filter(Boolean);
    expect(gatewayEvents.detect(avaya)).toBe(0);
    expect(gatewayEvents.detect(['時間\t事件'])).toBe(0);
  });
});
