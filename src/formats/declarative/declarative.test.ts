import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testFormat } from '../../cli/format.js';
import { configSchema } from '../../config/schema.js';
import type { Call } from '../../core/call.js';
import { CalltrailError } from '../../core/errors.js';
import { loadSwitchFormats } from '../../pipeline/switches.js';
import { conformance, describeConformance, frame, parseAll } from '../conformance.js';
import type { ParseContext, ParseResult } from '../format.js';
import type { DeclarativeFormat } from './compile.js';
import { loadFormatFile, parseDefinition, readDefinitionFile } from './load.js';
import { compileDatePattern, compileDurationPattern, emptyParts, type DatePattern, type DurationPattern } from './patterns.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = join(HERE, 'fixtures');
const EXAMPLES = join(HERE, '../../../examples/formats');

const nec = loadFormatFile(join(EXAMPLES, 'nec-sv9100.yaml'));
const alcatel = loadFormatFile(join(EXAMPLES, 'alcatel-oxe-ticket.yaml'));
const siteCsv = loadFormatFile(join(FIXTURES, 'definitions/site-csv.yaml'));
const printRegex = loadFormatFile(join(FIXTURES, 'definitions/panasonic-regex.yaml'));

const fixture = (id: string, name: string): string => readFileSync(join(FIXTURES, id, name), 'utf8');
const CTX: ParseContext = { timeZone: 'Europe/London', referenceDate: '2026-01-20' };

function calls(format: DeclarativeFormat, text: string, ctx: ParseContext): { calls: Call[]; results: ParseResult[] } {
  return parseAll(format, text, ctx);
}

function only(result: ParseResult): Call {
  if (result.kind !== 'call') throw new Error(`expected a call, got ${JSON.stringify(result)}`);
  return result.call;
}

// The shared suite, with fixtures in fixtures/<id>/ here; the registry does not list these
// formats, so detection asks each format itself.
describeConformance(nec, { fixturesDir: join(FIXTURES, nec.id), registered: false });
describeConformance(alcatel, { fixturesDir: join(FIXTURES, alcatel.id), registered: false });

describe('examples/formats/nec-sv9100.yaml', () => {
  const chicago = { timeZone: 'America/Chicago', referenceDate: '2025-12-09' };

  it("reads the manual's sample page: headers skipped, every field in place", () => {
    const { calls: got, results } = calls(nec, fixture('nec-sv9100', 'manual-sample.txt'), chicago);
    expect(results.filter((r) => r.kind === 'skip').map((r) => r.kind === 'skip' && r.reason)).toEqual([
      'page header',
      'column titles',
      'caller name of the previous record',
      'page header', // after a form feed
      'column titles',
      'SMDR buffer full notice',
    ]);
    expect(got).toHaveLength(9);
    expect(got[0]).toEqual({
      format: 'nec-sv9100',
      callId: null,
      direction: 'outbound',
      startedAt: '2025-12-09T10:52:00-06:00',
      answeredAt: '2025-12-09T10:52:00-06:00',
      endedAt: '2025-12-09T10:52:10-06:00',
      ringSeconds: null,
      talkSeconds: 10,
      holdSeconds: null,
      durationSeconds: 10,
      disposition: 'answered',
      callerNumber: '2001',
      callerName: null,
      dialedNumber: '2142623801',
      calledNumber: '2142623801',
      extension: '2001',
      trunk: '002',
      accountCode: '08754',
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: { callClass: 'POT' },
      raw: 'POT  10:52 12/09 002  00:00:10 2001       2142623801           08754',
    });
    expect(got[1]).toMatchObject({ direction: 'inbound', callerNumber: '2142623802', dialedNumber: '2017', extension: '2017', trunk: '001', talkSeconds: 20 });
    // An unanswered incoming call: NO ANSWER in the account column, no duration, no station.
    expect(got[2]).toMatchObject({
      direction: 'inbound',
      disposition: 'no_answer',
      startedAt: '2025-12-09T10:53:00-06:00',
      answeredAt: null,
      endedAt: '2025-12-09T10:53:00-06:00',
      talkSeconds: 0,
      durationSeconds: 0,
      callerNumber: '2142623801',
      extension: null,
      accountCode: null,
    });
    // Extension calls leave DATE and LINE empty: the day received, no trunk.
    expect(got[3]).toMatchObject({ direction: 'internal', startedAt: '2025-12-09T11:05:00-06:00', callerNumber: '2001', dialedNumber: '2017', trunk: null, talkSeconds: 161 });
    expect(got[4]).toMatchObject({ extension: 'RECEPTION', talkSeconds: 4329, endedAt: '2025-12-09T12:42:09-06:00', accountCode: 'PRJ-7731', extra: { callClass: 'POTA' } });
    expect(got[4]!.raw).toHaveLength(79); // trailing spaces kept in raw
    expect(got[5]).toMatchObject({ direction: 'inbound', disposition: 'no_answer', callerNumber: null, extension: '2003', trunk: '017' });
    expect(got[6]).toMatchObject({ direction: 'outbound', dialedNumber: '9#01632960001*', calledNumber: '901632960001', talkSeconds: 242 });
    expect(got[7]).toMatchObject({ direction: 'unknown', disposition: 'answered', dialedNumber: '2142623899', callerNumber: null, extra: { callClass: 'PTRS' } });
    expect(got[8]).toMatchObject({ direction: 'outbound', disposition: 'rejected', talkSeconds: 0, dialedNumber: '0900123456' });
  });

  it('puts a 12/31 record read on New Year’s Day in the year before', () => {
    const got = calls(nec, fixture('nec-sv9100', 'year-end.txt'), { timeZone: 'Europe/London', referenceDate: '2026-01-01' }).calls;
    expect(got.map((c) => [c.startedAt, c.endedAt])).toEqual([
      ['2025-12-31T23:59:00+00:00', '2026-01-01T00:02:30+00:00'],
      ['2026-01-01T00:01:00+00:00', '2026-01-01T00:01:45+00:00'],
    ]);
  });

  it('keeps the offsets right across the London DST changes', () => {
    const got = calls(nec, fixture('nec-sv9100', 'dst-london.txt'), { timeZone: 'Europe/London', referenceDate: '2026-10-25' }).calls;
    expect(got.map((c) => [c.startedAt, c.endedAt])).toEqual([
      ['2026-03-29T00:59:00+00:00', '2026-03-29T02:01:00+01:00'],
      ['2026-03-29T02:00:00+01:00', '2026-03-29T02:00:30+01:00'],
      ['2026-10-25T01:30:00+01:00', '2026-10-25T01:40:00+01:00'], // the repeated hour: its first occurrence
      ['2026-10-25T02:30:00+00:00', '2026-10-25T02:31:00+00:00'],
    ]);
  });

  it('reads a time skipped by the spring-forward change as core/time.ts does', () => {
    const parse = nec.createParser({ timeZone: 'Europe/London', referenceDate: '2026-03-29' });
    const times = ['00:59', '01:30', '01:45', '02:00'].map((t) => only(parse(`POT  ${t} 03/29 001  00:00:30 2001       02079460123`)).startedAt);
    expect(times).toEqual(['2026-03-29T00:59:00+00:00', '2026-03-29T02:30:00+01:00', '2026-03-29T02:45:00+01:00', '2026-03-29T02:00:00+01:00']);
  });

  it('names the field and the expected form in every error', () => {
    const { results } = calls(nec, fixture('nec-sv9100', 'broken.bad.txt'), CTX);
    expect(results).toEqual([
      { kind: 'error', error: 'date "12/0" is not MM/DD' },
      { kind: 'error', error: 'time "1x:52" is not HH:mm' },
      { kind: 'error', error: 'date "13/09" time "10:52" is not a real date and time' },
      { kind: 'error', error: 'duration "00:7x:10" is not a duration of the form HH:mm:ss' },
      { kind: 'error', error: 'date "02/30" time "10:52" is not a real date and time' },
      { kind: 'error', error: 'date "e fro" is not MM/DD' },
    ]);
  });

  it('strips the NUL a serial line or the journal adds to a record', () => {
    const line = 'POT  10:52 12/09 002  00:00:10 2001       2142623801';
    const parse = nec.createParser(CTX);
    const plain = only(parse(line));
    for (const variant of [line + '\u0000', '\u0002' + line + '\u0003', line + '\u2400']) {
      const call = only(parse(variant));
      expect({ ...call, raw: line }).toEqual(plain);
      expect(call.raw).toBe(variant);
    }
  });

  it('prints hh:mm starts, so the round trip is to the minute', () => {
    expect(nec.startPrecisionSeconds).toBe(60);
    expect(alcatel.startPrecisionSeconds).toBe(1);
  });

  it('does not claim another format’s records', () => {
    expect(nec.detect(frame(alcatel, fixture('alcatel-oxe-ticket', 'tickets.txt')))).toBe(0);
    expect(alcatel.detect(frame(nec, fixture('nec-sv9100', 'manual-sample.txt')))).toBe(0);
    expect(nec.detect(['127.0.0.1,1,id-1,100,,200,,,,2026-03-01 10:00:00,20,5,,,,16,,2,,,,,,,{}'])).toBe(0);
  });
});

describe('examples/formats/alcatel-oxe-ticket.yaml', () => {
  const paris = { timeZone: 'Europe/Paris', referenceDate: '2026-01-20' };

  it('reads 525-column tickets with every field in place', () => {
    const { calls: got, results } = calls(alcatel, fixture('alcatel-oxe-ticket', 'tickets.txt'), paris);
    expect(results.every((r) => r.kind === 'call')).toBe(true);
    expect(got).toHaveLength(6);
    const { raw, ...first } = got[0]!;
    expect(raw).toHaveLength(525);
    expect(first).toEqual({
      format: 'alcatel-oxe-ticket',
      callId: '118203',
      direction: 'outbound',
      startedAt: '2026-01-14T09:12:30+01:00',
      answeredAt: '2026-01-14T09:12:42+01:00',
      endedAt: '2026-01-14T09:17:42+01:00',
      ringSeconds: 12,
      talkSeconds: 300,
      holdSeconds: null,
      durationSeconds: 312,
      disposition: 'answered',
      callerNumber: '4101',
      callerName: 'DUPONT Marie',
      dialedNumber: '00442079460123',
      calledNumber: '00442079460123',
      extension: '4101',
      trunk: '23',
      accountCode: null,
      transferredTo: null,
      answeredBy: null,
      hangupCause: null,
      extra: {
        callType: '0',
        chargedUserName: 'DUPONT Marie',
        costCenter: 'SALES',
        company: 'ACME SA',
        trunkGroup: '3',
        initialDialledNumber: '000442079460123',
        actingExtension: '4101',
        chargeUnits: 12,
        cost: 0.84,
        redirected: '0',
      },
    });
    // Incoming, answered: the charged user is the one who took it; the name is not the caller's.
    expect(got[1]).toMatchObject({
      direction: 'inbound',
      callerNumber: '0611223344',
      callerName: null,
      extension: '4102',
      ringSeconds: 8,
      talkSeconds: 87,
      answeredAt: '2026-01-14T09:29:38+01:00',
      extra: { chargedUserName: 'Zoë Müller', costCenter: 'R&D' },
    });
    // Incoming, never answered, caller withheld.
    expect(got[2]).toMatchObject({ direction: 'inbound', disposition: 'no_answer', callerNumber: null, ringSeconds: 26, talkSeconds: 0, durationSeconds: 26, answeredAt: null });
    expect(got[3]).toMatchObject({ direction: 'internal', callerNumber: '4101', dialedNumber: '4107', trunk: null, talkSeconds: 69 });
    // A call of 25 hours.
    expect(got[4]).toMatchObject({ startedAt: '2026-01-14T08:00:00+01:00', endedAt: '2026-01-15T09:00:00+01:00', durationSeconds: 90000, talkSeconds: 90000 });
    // Across New Year, from a collector that dropped the trailing spaces.
    expect(got[5]).toMatchObject({ startedAt: '2025-12-31T23:58:30+01:00', endedAt: '2026-01-01T00:01:30+01:00', durationSeconds: 180 });
    expect(got[5]!.raw.length).toBeLessThan(525);
  });

  it('keeps the offsets right across the London DST changes', () => {
    const got = calls(alcatel, fixture('alcatel-oxe-ticket', 'dst-london.txt'), CTX).calls;
    expect(got.map((c) => [c.startedAt, c.answeredAt, c.endedAt, c.durationSeconds])).toEqual([
      ['2026-03-29T00:59:50+00:00', '2026-03-29T02:00:00+01:00', '2026-03-29T02:00:50+01:00', 60],
      ['2026-10-25T01:30:00+01:00', '2026-10-25T01:30:20+01:00', '2026-10-25T01:40:00+01:00', 600],
    ]);
  });

  it('rejects broken tickets with the reason', () => {
    expect(calls(alcatel, fixture('alcatel-oxe-ticket', 'broken.bad.txt'), paris).results).toEqual([
      { kind: 'error', error: 'record is 300 characters, shorter than minLength 458' },
      { kind: 'error', error: 'StartDateTime "20261314 09:12:30" is not a real date and time' },
      { kind: 'error', error: 'TicketVersion is not an "EDn.n" ticket version' },
      { kind: 'error', error: 'Duration "31x" is not a whole number of seconds' },
      { kind: 'error', error: 'the end time is before the start time' },
    ]);
  });

  it('renders the ticket version and 525 columns', () => {
    const [line] = alcatel.render(
      { index: 4, direction: 'inbound', startedAtMs: Date.UTC(2026, 0, 15, 8, 0, 7), ringSeconds: 9, talkSeconds: 61, answered: true, extension: '231', externalNumber: '07700900123', callerName: 'BOB JONES', trunk: '02', accountCode: null },
      CTX,
    );
    expect(line).toHaveLength(525);
    expect(line!.slice(0, 5)).toBe('ED5.2');
    expect(only(alcatel.createParser(CTX)(line!))).toMatchObject({ callId: '5', direction: 'inbound', callerNumber: '07700900123', extension: '231', startedAt: '2026-01-15T08:00:07+00:00', ringSeconds: 9, talkSeconds: 61, durationSeconds: 70 });
  });
});

describe('delimited layouts (fixtures/definitions/site-csv.yaml)', () => {
  const paris = { timeZone: 'Europe/Paris', referenceDate: '2026-01-20' };
  const text = [
    'callid;dir;ended;ring;talk;caller;callerName;called;ext;trunk;cause;account;spare',
    'A-1001;O;14.01.2026 09:17:42;12;05:00;4101;"Müller; Zoë";02079460123;4101;T3;16;7731;',
    'A-1002;I;14.01.2026 09:40:26;26;00:00;0611223344;;4103;4103;T3;19;;',
    'A-1003;X;14.01.2026 10:02:14;5;01:09;4101;;4107;4101;;NORMAL_CLEARING;;',
    'A-1004;O;14.01.2026',
    'A-1005;O;14.01.2026 10:30:00;5;1:9;4101;;4107;4101;;16;;',
  ].join('\r\n');

  it('finds the start from the end time, ring and talk; ids and causes', () => {
    const { calls: got, results } = calls(siteCsv, text, paris);
    expect(results[0]).toEqual({ kind: 'skip', reason: 'header line' });
    expect(got[0]).toMatchObject({
      callId: 'A-1001',
      direction: 'outbound',
      startedAt: '2026-01-14T09:12:30+01:00',
      answeredAt: '2026-01-14T09:12:42+01:00',
      endedAt: '2026-01-14T09:17:42+01:00',
      ringSeconds: 12,
      talkSeconds: 300,
      durationSeconds: 312,
      callerName: 'Müller; Zoë',
      dialedNumber: '02079460123',
      trunk: 'T3',
      hangupCause: 16,
      accountCode: '7731',
      extra: { rawDirection: 'O' },
    });
    expect(got[1]).toMatchObject({ direction: 'inbound', disposition: 'no_answer', hangupCause: 19, startedAt: '2026-01-14T09:40:00+01:00', talkSeconds: 0, callerName: null });
    expect(got[2]).toMatchObject({ direction: 'internal', hangupCause: 16, disposition: 'answered', startedAt: '2026-01-14T10:01:00+01:00', talkSeconds: 69 });
    expect(results.slice(4)).toEqual([
      { kind: 'error', error: 'expected 13 columns, found 3' },
      { kind: 'error', error: 'talk "1:9" is not a duration of the form mm:ss' },
    ]);
    expect(siteCsv.dedupe).toBe('call-id');
  });

  it('parses back what it renders', () => conformance.renderRoundTrips(siteCsv));
});

describe('regular-expression layouts (fixtures/definitions/panasonic-regex.yaml)', () => {
  it('reads 12-hour times, two-digit years, prefixes and a catch-all direction rule', () => {
    const text = [
      '  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD',
      '--------------------------------------------------------------------------------',
      "01/02/26 10:03AM 1200 01 0123456789 0'00 00:01'05",
      "01/02/26  1:07PM 1201 02 <I>0611223344 0'15 00:12'05 4455",
      "12/31/25 11:59PM 1202  1230 0'03 00:00'00",
      "12/31/25 13:59PM 1202  1230 0'03 00:00'00",
      'nothing like a record',
    ].join('\n');
    const { calls: got, results } = calls(printRegex, text, { timeZone: 'UTC', referenceDate: '2026-01-02' });
    expect(results.slice(0, 2).map((r) => r.kind)).toEqual(['skip', 'skip']);
    expect(got.map((c) => [c.startedAt, c.direction, c.disposition, c.callerNumber, c.dialedNumber, c.trunk, c.ringSeconds, c.talkSeconds, c.accountCode])).toEqual([
      ['2026-01-02T10:03:00+00:00', 'outbound', 'answered', '1200', '0123456789', '01', 0, 65, null],
      ['2026-01-02T13:07:00+00:00', 'inbound', 'answered', '0611223344', '1201', '02', 15, 725, '4455'],
      ['2025-12-31T23:59:00+00:00', 'internal', 'no_answer', '1202', '1230', null, 3, 0, null],
    ]);
    expect(results.slice(5)).toEqual([
      { kind: 'error', error: 'time "13:59PM" is not h:mmA' },
      { kind: 'error', error: 'record does not match layout.pattern' },
    ]);
  });

  it('parses back what it renders through layout.template', () => conformance.renderRoundTrips(printRegex));
});

describe('definitions: validation', () => {
  it('lists every problem of the shape with its path and line', () => {
    const r = readDefinitionFile(join(FIXTURES, 'definitions/shape-problems.yaml'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toEqual([
      'id',
      'name',
      '(top level)',
      'layout.fields.a',
      'layout.fields.2b',
      'start',
      'direction[0].then',
      'dedupe',
    ]);
    expect(r.problems[2]!.message).toBe('unknown key(s): colour (line 3)');
    expect(r.problems[4]!.message).toBe('bad key: a field name: letters, digits and "_", not starting with a digit (line 8)');
  });

  it('then lists every key that does not fit the others', () => {
    const r = readDefinitionFile(join(FIXTURES, 'definitions/reference-problems.yaml'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { path: 'layout.fields.a', message: 'end 2 must be after start 5 ([start, end) columns, 0-based) (line 6)' },
      { path: 'skip[0].field', message: '"c" is not a field of the layout (fields: a, b) (line 9)' },
      { path: 'skip[1]', message: 'give a test: one of equals, in, startsWith, contains, matches, empty (line 10)' },
      {
        path: 'start.format',
        message: '"yyyy-MM-DD" "y" at position 1 is not a token (tokens: YYYY YY MM DD HH hh mm ss M D H h A a); put literal letters in [brackets] (line 11)',
      },
      { path: 'durations.talk.format', message: '"ss:mm" tokens must go from the largest unit to the smallest, each once (line 13)' },
      { path: 'direction[0]', message: 'give one test, not equals and in (line 15)' },
      { path: 'direction[1].matches', message: 'not a valid regular expression: Invalid regular expression: /(/: Unterminated group (line 16)' },
      { path: 'call.callerNumber.inbound', message: '"nope" is not a field of the layout (fields: a, b) (line 18)' },
      { path: 'dedupe', message: 'call-id dedupe needs call.callId: the field holding the vendor call id (line 19)' },
    ]);
  });

  it('reports YAML syntax errors and missing parts', () => {
    const syntax = parseDefinition('id: x\nlayout: [unclosed', 'pbx.yaml');
    expect(!syntax.ok && syntax.problems[0]!.path).toBe('(yaml)');
    expect(!syntax.ok && syntax.problems[0]!.message).toMatch(/^pbx\.yaml:2:\d+: /);
    const noTimes = parseDefinition('id: x\nname: X\nlayout: { kind: regex, pattern: "(?<a>.*)" }\n');
    expect(!noTimes.ok && noTimes.problems).toEqual([{ path: 'start', message: 'give start or end (or both): when the call began or ended (line 1)' }]);
    const noMinute = parseDefinition('id: x\nname: X\nlayout: { kind: regex, pattern: "(?<a>.*)" }\nstart: { field: a, format: YYYY-MM-DD }\n');
    expect(!noMinute.ok && noMinute.problems[0]!.message).toBe('the start time has no hour, minute (tokens MM DD HH mm; the year may be left out) (line 4)');
  });

  it('throws CONFIG_INVALID with the problems, and FILE_NOT_FOUND for a missing file', () => {
    expect(() => loadFormatFile(join(FIXTURES, 'definitions/reference-problems.yaml'))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: expect.arrayContaining([expect.objectContaining({ path: 'dedupe' })]) }),
    );
    expect(() => loadFormatFile(join(FIXTURES, 'definitions/nope.yaml'))).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
  });

  it('carries the framing it names', () => {
    const base = 'id: f\nname: F\nlayout: { kind: regex, pattern: "(?<t>.*)" }\nstart: { field: t, format: epoch }\n';
    const framing = (yaml: string): unknown => {
      const r = parseDefinition(base + yaml);
      return r.ok ? r.format.framing : r.problems;
    };
    expect(framing('')).toEqual({ kind: 'lines' });
    expect(framing('framing: stx-etx\n')).toEqual({ kind: 'stx-etx' });
    expect(framing('framing: { kind: fixed, length: 122 }\n')).toEqual({ kind: 'fixed', length: 122 });
    expect(framing('framing: nul\n')).toEqual([{ path: 'framing', message: 'lines, stx-etx, or { kind: fixed, length: N } (line 5)' }]);
  });

  it('reads epoch timestamps', () => {
    const r = parseDefinition(
      'id: epoch-test\nname: E\nlayout: { kind: delimited, delimiter: "|", quoted: false, columns: [t, d, n] }\nstart: { field: t, format: epoch }\ndurations: { talk: { field: d, format: seconds } }\ncall: { dialedNumber: n }\n',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(only(r.format.createParser(CTX)('1774745990|60|+44 20 7946 0123'))).toMatchObject({
      startedAt: '2026-03-29T00:59:50+00:00',
      endedAt: '2026-03-29T02:00:50+01:00',
      dialedNumber: '+44 20 7946 0123',
      calledNumber: '+442079460123',
      direction: 'unknown',
    });
  });
});

describe('patterns', () => {
  const date = (p: string): DatePattern => compileDatePattern(p) as DatePattern;
  const duration = (p: string): DurationPattern => compileDurationPattern(p) as DurationPattern;

  it('reads and writes the 12-hour clock', () => {
    const p = date('h:mmA');
    for (const [text, hour] of [['12:05AM', 0], ['9:05am', 9], ['12:05PM', 12], ['11:59PM', 23]] as const) {
      const parts = emptyParts();
      expect(p.read(text, parts)).toBe(true);
      expect(parts.hour).toBe(hour);
    }
    expect(p.read('13:00PM', emptyParts())).toBe(false);
    expect(p.write({ year: 2026, month: 1, day: 2, hour: 0, minute: 5, second: 0 })).toBe('12:05AM');
    expect(date('YYYY-MM-DD[T]HH:mm:ss').write({ year: 2026, month: 1, day: 2, hour: 13, minute: 5, second: 9 })).toBe('2026-01-02T13:05:09');
    expect(compileDatePattern('hh:mm')).toBe('hh/h is the 12-hour clock and needs A (AM/PM); use HH for the 24-hour clock');
    expect(compileDatePattern('YYYY YY')).toBe('"YY" repeats a part the pattern already has');
  });

  it('reads variable-width dates by regex, fixed ones by position', () => {
    const parts = emptyParts();
    expect(date('D.M.YYYY H:mm').read('3.1.2026  7:05', parts)).toBe(true);
    expect(parts).toEqual({ year: 2026, month: 1, day: 3, hour: 7, minute: 5, second: -1 });
    expect(date('YYYYMMDD').read('2026O102', emptyParts())).toBe(false);
  });

  it('reads and writes durations', () => {
    expect(duration('HH:mm:ss').read('01:12:09')).toBe(4329);
    expect(duration('HH:mm:ss').read('100:00:00')).toBe(360000);
    expect(duration('HH:mm:ss').read('00:60:00')).toBe(-1);
    expect(duration('mm:ss').read('75:30')).toBe(4530);
    expect(duration("HH:mm'ss").write(90061)).toBe("25:01'01");
    expect(duration("m'ss").write(75)).toBe("1'15");
    expect(duration('seconds').read('0031')).toBe(31);
    expect(duration('minutes').read('3')).toBe(180);
    expect(duration('seconds').read('3.5')).toBe(-1);
    expect(compileDurationPattern('HH:ss')).toBe('hours and seconds need minutes between them');
  });
});

describe('switches with formatFile', () => {
  const configFile = join(FIXTURES, 'calltrail.yaml'); // only its folder matters
  const config = (switches: unknown[]) => configSchema.parse({ switches });

  it('loads definitions relative to the config file; the built-in formats by id', () => {
    const formats = loadSwitchFormats(
      config([
        { name: 'hq', formatFile: '../../../../examples/formats/nec-sv9100.yaml', timezone: 'America/Chicago' },
        { name: 'csv', format: 'cdrstats-csv' },
      ]),
      { configFile },
    );
    expect(formats.get('hq')!.id).toBe('nec-sv9100');
    expect(formats.get('csv')!.id).toBe('cdrstats-csv');
  });

  it('lists every problem of every definition under the switch’s formatFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-declarative-'));
    try {
      writeFileSync(join(dir, 'clash.yaml'), readFileSync(join(EXAMPLES, 'nec-sv9100.yaml'), 'utf8').replace('id: nec-sv9100', 'id: cdrstats-csv'));
      writeFileSync(join(dir, 'bad.yaml'), readFileSync(join(FIXTURES, 'definitions/reference-problems.yaml')));
      let thrown: unknown;
      try {
        loadSwitchFormats(
          config([
            { name: 'a', formatFile: 'bad.yaml' },
            { name: 'b', formatFile: 'missing.yaml' },
            { name: 'c', formatFile: 'clash.yaml' },
          ]),
          { configFile: join(dir, 'calltrail.yaml') },
        );
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CalltrailError);
      const err = thrown as CalltrailError;
      expect(err.code).toBe('CONFIG_INVALID');
      const problems = err.details as { path: string; message: string }[];
      expect(problems.map((p) => p.path)).toEqual([
        'switches[0].formatFile.layout.fields.a',
        'switches[0].formatFile.skip[0].field',
        'switches[0].formatFile.skip[1]',
        'switches[0].formatFile.start.format',
        'switches[0].formatFile.durations.talk.format',
        'switches[0].formatFile.direction[0]',
        'switches[0].formatFile.direction[1].matches',
        'switches[0].formatFile.call.callerNumber.inbound',
        'switches[0].formatFile.dedupe',
        'switches[1].formatFile',
        'switches[2].formatFile.id',
      ]);
      expect(problems[9]!.message).toBe(`${join(dir, 'missing.yaml')}: no such file`);
      expect(problems[10]!.message).toBe('"cdrstats-csv" is a built-in format\'s id; give the definition an id of its own');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('calltrail format test', () => {
  it("describes each sample record's call, skip or error", () => {
    const report = testFormat(nec, nec.definition.samples.join('\n') + '\nPOT  1x:52 12/09\n', { timeZone: 'UTC', referenceDate: '2025-12-09' });
    const lines = report.text.trimEnd().split('\n');
    expect(lines[0]).toBe('1: skip (page header)');
    expect(lines[1]).toBe('2: skip (column titles)');
    expect(lines[2]).toMatch(/^3: call \{"format":"nec-sv9100","callId":null,"direction":"outbound","startedAt":"2025-12-09T10:52:00\+00:00"/);
    expect(lines[5]).toBe('6: ERROR time "1x:52" is not HH:mm');
    expect(lines[6]).toBe('6 record(s): 3 call(s), 2 skipped, 1 error(s)');
    expect(report).toMatchObject({ calls: 3, skipped: 2, errors: 1 });
  });
});
