import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Call, CallEvent } from '../../core/call.js';
import { describeConformance, frame, parseAll } from '../conformance.js';
import type { Format } from '../format.js';
import { createMitelIpSmdr, mitelIpSmdr, renderLine } from './format.js';


describeConformance(mitelIpSmdr);

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const london = { timeZone: 'Europe/London', referenceDate: '2026-03-02' };

function callsOf(text: string, format: Format = mitelIpSmdr): Call[] {
  const { calls, results } = parseAll(format, text, london);
  expect(results.filter((r) => r.kind === 'error')).toEqual([]);
  return calls;
}

/** The seed's scenarios as printed in the vendor text (padding collapsed) and in the full 162 columns. */
const seedCalls = callsOf(fixture('seed-002.txt'));
const paddedCalls = callsOf(fixture('seed-002-padded.txt'));
const byId = (calls: Call[], id: string): Call => calls.find((c) => c.callId === id)!;

describe('mitel-ipsmdr: one event line', () => {
  it('reads every item of the 162-character layout into a call event', () => {
    const line = frame(mitelIpSmdr, fixture('seed-002-padded.txt'))[0]!;
    expect(line).toHaveLength(162);
    const r = mitelIpSmdr.createParser(london)(line);
    expect(r).toEqual({
      kind: 'event',
      event: {
        format: 'mitel-ipsmdr',
        callRef: '2012030901204052070264',
        event: 'RINGING',
        occurredAt: '2012-03-09T01:20:40+00:00',
        data: {
          direction: 'inbound',
          trunk: '92108',
          extension: '1843',
          sourceExtension: null,
          outsideNumber: '79XXXXXXXX',
          name: 'CHRIS R MOBILE',
          ddi: '44161XXXXXXX',
          ddiName: 'CHRIS DID',
          accountCode: null,
        },
        raw: line,
      } satisfies CallEvent,
    });
  });

  it('reads the seed lines whose padding the vendor page collapsed like the full layout', () => {
    const strip = (c: Call) => ({ ...c, raw: '' });
    expect(seedCalls.map(strip)).toEqual(paddedCalls.map(strip));
    expect(seedCalls[0]!.raw.split('\n')).toHaveLength(4);
  });
});

describe('mitel-ipsmdr: the scenarios of seed 002', () => {
  it('inbound call: rings 3 s, answered by 1843, 3 s of talk', () => {
    expect(byId(paddedCalls, '2012030901204052070264')).toEqual({
      format: 'mitel-ipsmdr',
      callId: '2012030901204052070264',
      direction: 'inbound',
      startedAt: '2012-03-09T01:20:40+00:00',
      answeredAt: '2012-03-09T01:20:43+00:00',
      endedAt: '2012-03-09T01:20:46+00:00',
      ringSeconds: 3,
      talkSeconds: 3,
      holdSeconds: 0,
      durationSeconds: 6,
      disposition: 'answered',
      callerNumber: '79XXXXXXXX',
      callerName: 'CHRIS R MOBILE',
      dialedNumber: '44161XXXXXXX',
      calledNumber: '44161XXXXXXX',
      extension: '1843',
      trunk: '92108',
      accountCode: null,
      transferredTo: null,
      answeredBy: '1843',
      hangupCause: null,
      extra: { ddiName: 'CHRIS DID' },
      raw: frame(mitelIpSmdr, fixture('seed-002-padded.txt')).slice(0, 4).join('\n'),
    });
  });

  it('outbound call: the outside number is the dialled number, the extension the caller', () => {
    expect(byId(seedCalls, '2012030900465982190047')).toMatchObject({
      direction: 'outbound',
      startedAt: '2012-03-09T12:46:59+00:00',
      answeredAt: '2012-03-09T12:47:06+00:00',
      endedAt: '2012-03-09T12:47:10+00:00',
      ringSeconds: 7,
      talkSeconds: 4,
      durationSeconds: 11,
      disposition: 'answered',
      callerNumber: '1843',
      callerName: null,
      dialedNumber: '79XXXXXXXX',
      calledNumber: '79XXXXXXXX',
      extension: '1843',
      trunk: '92808',
      answeredBy: null,
      extra: {},
    });
  });

  it('call held then retrieved: 3 s on hold, caller id as last reported', () => {
    expect(byId(seedCalls, '2012030901205303270264')).toMatchObject({
      ringSeconds: 1,
      talkSeconds: 6,
      holdSeconds: 3,
      durationSeconds: 7,
      answeredBy: '1843',
      callerNumber: '7968543537',
      transferredTo: null,
    });
  });

  it('call transferred: held 7 s, transferred by 1843 to 2560 who finally has it', () => {
    expect(byId(seedCalls, '2012030901311586070264')).toMatchObject({
      startedAt: '2012-03-09T01:31:15+00:00',
      answeredAt: '2012-03-09T01:31:18+00:00',
      endedAt: '2012-03-09T01:31:29+00:00',
      ringSeconds: 3,
      talkSeconds: 11,
      holdSeconds: 7,
      durationSeconds: 14,
      extension: '1843',
      transferredTo: '2560',
      answeredBy: '2560',
      extra: { ddiName: 'CHRIS DID', transfers: 1, transferredFrom: '1843' },
    });
  });
});

describe('mitel-ipsmdr: assembling harder calls', () => {
  const calls = callsOf(fixture('ipsmdr-scenarios.txt'));
  const call = (id: string) => byId(calls, id);

  it('returns calls as they disconnect, interleaved events kept apart', () => {
    expect(calls.map((c) => c.callId)).toEqual([
      '2026031009150100000001',
      '2026031009150500000002',
      '2026031010000000000003',
      '2026031011000000000004',
      '2026032900593000000005',
      '2026123123595000000006',
      '2026102501500000000008',
      '2027010100100000000007',
    ]);
  });

  it('an abandoned call: queued at the hunt group, caller gave up after 30 s', () => {
    expect(call('2026031009150100000001')).toMatchObject({
      disposition: 'no_answer',
      answeredAt: null,
      endedAt: '2026-03-10T09:15:31+00:00',
      ringSeconds: 30,
      talkSeconds: 0,
      durationSeconds: 30,
      extension: '2000',
      answeredBy: null,
      callerName: 'Zoë Müller',
      callerNumber: '7700900123',
      extra: { ddiName: 'SALES', queuedSeconds: 29 },
    });
  });

  it('a queued call answered by an agent, account code given mid-call', () => {
    expect(call('2026031009150500000002')).toMatchObject({
      disposition: 'answered',
      ringSeconds: 39,
      talkSeconds: 240,
      extension: '1844',
      answeredBy: '1844',
      accountCode: '4711',
      callerName: 'José Núñez',
      extra: { queuedSeconds: 34 },
    });
  });

  it('a withheld caller forwarded from 1843 to 1850 (DIVERTED, CALLCONNECTED)', () => {
    expect(call('2026031010000000000003')).toMatchObject({
      callerNumber: null,
      callerName: null,
      ringSeconds: 20,
      talkSeconds: 120,
      extension: '1850',
      transferredTo: '1850',
      answeredBy: '1850',
      extra: { diversions: 1, transferredFrom: '1843' },
    });
  });

  it('an internal call has no trunk device', () => {
    expect(call('2026031011000000000004')).toMatchObject({
      direction: 'internal',
      trunk: null,
      callerNumber: '1843',
      dialedNumber: '1850',
      answeredBy: '1850',
      talkSeconds: 60,
    });
  });

  it('keeps each event on its own UTC offset across the DST changes and the New Year', () => {
    expect(call('2026032900593000000005')).toMatchObject({
      startedAt: '2026-03-29T00:59:30+00:00',
      endedAt: '2026-03-29T02:00:20+01:00',
      talkSeconds: 40,
      durationSeconds: 50,
    });
    // Cleared at 01:10 in the hour the autumn change repeats: after 01:50 BST, so 01:10 GMT.
    expect(call('2026102501500000000008')).toMatchObject({
      startedAt: '2026-10-25T01:50:00+01:00',
      endedAt: '2026-10-25T01:10:00+00:00',
      talkSeconds: 1195,
      raw: expect.stringMatching(/\|DISCONNECTED\| {3}$/),
    });
    expect(call('2026123123595000000006')).toMatchObject({
      direction: 'outbound',
      startedAt: '2026-12-31T23:59:50+00:00',
      endedAt: '2027-01-01T00:01:10+00:00',
      talkSeconds: 72,
      dialedNumber: '34912345678',
      accountCode: '998877665544',
    });
  });

  it('returns a call still open at the end as far as it got', () => {
    expect(call('2027010100100000000007')).toMatchObject({
      disposition: 'answered',
      answeredAt: '2027-01-01T00:10:04+00:00',
      endedAt: null,
      talkSeconds: 26,
      holdSeconds: 0,
      extra: { incomplete: true },
    });
    const ringing = callsOf(frame(mitelIpSmdr, fixture('seed-002-padded.txt'))[0]!);
    expect(ringing[0]).toMatchObject({ disposition: 'unknown', endedAt: null, ringSeconds: 0, extra: { incomplete: true } });
  });

  it('gives up on a call whose DISCONNECTED never came after a day of stream time', () => {
    const assembler = mitelIpSmdr.createAssembler!(london);
    const parse = mitelIpSmdr.createParser(london);
    const lost = parse(frame(mitelIpSmdr, fixture('seed-002-padded.txt'))[0]!);
    if (lost.kind !== 'event') throw new Error('expected an event');
    expect(assembler.push(lost.event)).toEqual([]);
    const later = (i: number): CallEvent => ({
      ...lost.event,
      callRef: `2012031101204052070${String(i).padStart(3, '0')}`,
      occurredAt: '2012-03-11T01:20:40+00:00',
    });
    const out: Call[] = [];
    for (let i = 0; i < 1100; i++) out.push(...assembler.push(later(i)));
    expect(out.map((c) => c.callId)).toEqual(['2012030901204052070264']);
    expect(assembler.flush()).toHaveLength(1100);
  });
});

describe('mitel-ipsmdr: padding, errors, render, detect', () => {
  it('strips a configured pad character and keeps the leading zeros of numbers', () => {
    const line = renderLine(
      {
        localIso: '2026-03-10T09:15:01+00:00',
        dir: 'IN',
        callId: '2026031009150100000001',
        trunk: '92101',
        extension: '1843',
        source: '',
        outside: '07700900123',
        name: '',
        ddi: '',
        ddiName: '',
        account: '',
        event: 'RINGING',
      },
      '*',
    );
    expect(line).toBe(
      '2026-03-10 09:15:01 |IN | 2026031009150100000001 **92101 ***1843 ******* ****07700900123 |              | *************** |          | ************ |RINGING     |',
    );
    const r = createMitelIpSmdr({ padChar: '*' }).createParser(london)(line);
    expect(r.kind === 'event' && r.event.data).toMatchObject({ outsideNumber: '07700900123', ddi: null, sourceExtension: null, accountCode: null });
  });

  it('reads CALLCONNECTED cut to the 12-character event column', () => {
    const line = frame(mitelIpSmdr, fixture('seed-002-padded.txt'))[1]!.replace('|ANSWERED    |', '|CALLCONNECTE|');
    const r = mitelIpSmdr.createParser(london)(line);
    expect(r.kind === 'event' && r.event.event).toBe('CALLCONNECTED');
  });

  it('names what is wrong with a bad line', () => {
    const { results } = parseAll(mitelIpSmdr, fixture('ipsmdr.bad.txt'), london);
    expect(results).toEqual([
      { kind: 'error', error: 'direction "UP " is not IN or OUT' },
      { kind: 'error', error: 'call id "202603100915010000001 " is not 22 digits' },
      { kind: 'error', error: 'event "PARKED" is not an IP SMDR event' },
      { kind: 'error', error: 'date and time "2026-02-30 09:15:01" is not a real date and time' },
      { kind: 'error', error: 'date and time "2026-03-10 09:15:61" is not a real date and time' },
      { kind: 'error', error: 'expected 8 "|" delimiters (6 without the DDI name), found 3' },
      { kind: 'error', error: 'trunk device "00921A1" is not a device number' },
      { kind: 'error', error: 'a name contains control characters' },
      { kind: 'error', error: 'DDI "00044163296000Z" is not a number' },
      { kind: 'error', error: 'text after the closing "|" of the event: "trailing"' },
      {
        kind: 'error',
        error: 'expected call id, three devices and the outside number, found "2012030901204052070264 0092108 0001843 0000079XXXXXXXX"',
      },
    ]);
  });

  it('renders every event of a transferred call, each 162 characters', () => {
    const lines = mitelIpSmdr.render(
      {
        index: 5,
        direction: 'inbound',
        startedAtMs: Date.UTC(2026, 0, 15, 9, 0, 0),
        ringSeconds: 4,
        talkSeconds: 60,
        answered: true,
        extension: '214',
        externalNumber: '07700900123',
        callerName: 'Åsa Öberg',
        trunk: '02',
        accountCode: null,
      },
      london,
    );
    expect(lines.map((l) => l.slice(149))).toEqual([
      'RINGING     |',
      'ANSWERED    |',
      'HOLD        |',
      'TRANSFERRED |',
      'RINGING     |',
      'CONNECTED   |',
      'DISCONNECTED|',
    ]);
    expect(lines.every((l) => l.length === 162)).toBe(true);
    expect(lines[3]).toBe(
      '2026-01-15 09:00:19 |IN | 2026011509000000000005 0092002 0000215 0000214 000007700900123 |Åsa Öberg     | 000441632960214 |MAIN DDI  | 000000000000 |TRANSFERRED |',
    );
    const [call] = callsOf(lines.join('\r\n'));
    expect(call).toMatchObject({ talkSeconds: 60, ringSeconds: 4, holdSeconds: 8, transferredTo: '215', answeredBy: '215', extension: '214' });
  });

  it('claims its own lines and not other formats', () => {
    expect(mitelIpSmdr.detect(frame(mitelIpSmdr, fixture('seed-002.txt')))).toBeGreaterThanOrEqual(0.8);
    const others = [
      'R   NET 1234  P0001 94567                        17:11 00:03:34 $00.00',
      '127.0.0.1,1,96aa82fe-7bd1-11e5-a230-5c514f6a0f72,904151440,CallerIDName,+34798400122,34,,,2015-10-21 12:13:10,55,50,,,,16,,1,,1000,,,,,{}',
      '2012-03-09 01:20:40 IN 2012030901204052070264',
    ];
    expect(mitelIpSmdr.detect(others)).toBeLessThan(0.3);
  });
});
