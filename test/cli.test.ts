import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/database.js';
import { runCli } from './support/cli.js';
import { ENGINES } from './support/engines.js';

const SEED_004 = 'src/formats/cdrstats-csv/fixtures/seed-004.csv';
const HEADER = readFileSync(SEED_004, 'utf8').split('\n')[0]!;
const GOOD_ROW = '127.0.0.1,1,aa-1,201,Alice,+442079460123,44,,,2026-03-02 09:15:00,70,60,,,,16,,2,,,,,,,{}';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'calltrail-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

describe('calltrail parse', () => {
  it('prints one JSON call per record, in the switch time zone', async () => {
    const r = await runCli(['parse', '--format', 'cdrstats-csv', '--tz', 'Europe/Madrid', SEED_004]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const calls = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(calls).toHaveLength(5);
    expect(calls[4]).toMatchObject({ callId: '41b20dd9-7bd2-11e5-a230-5c514f6a0f72', startedAt: '2015-10-21T12:53:16+02:00', talkSeconds: 5, calledNumber: '34650104877' });
  });

  it('detects the format with --format auto and says which', async () => {
    const r = await runCli(['parse', SEED_004]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe('{"detected":"cdrstats-csv"}');
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('reports unparsable records on stderr with their line and still exits 0', async () => {
    const input = [HEADER, GOOD_ROW, 'not,a,row', '', GOOD_ROW.replace('2026-03-02', '2026-13-02')].join('\r\n') + '\r\n';
    const r = await runCli(['parse', '--format', 'cdrstats-csv', '-'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { line: number; error: string })).toEqual([
      { line: 3, error: 'expected 25 fields, found 3', raw: 'not,a,row' },
      { line: 5, error: 'starting_date "2026-13-02 09:15:00" is not a real date and time', raw: GOOD_ROW.replace('2026-03-02', '2026-13-02') },
    ]);
  });

  it('refuses bad usage with exit code 2 and names the option', async () => {
    const r = await runCli(['parse', '--format', 'cdrstats-csv', '--tz', 'Mars/Olympus', SEED_004]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('calltrail: --tz: unknown time zone "Mars/Olympus"\n');
    const unknown = await runCli(['parse', '--format', 'no-such', SEED_004]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^calltrail: unknown format "no-such"; known formats: /);
  });

  it('says so when the file does not exist, and parses an empty file to nothing', async () => {
    const missing = await runCli(['parse', join(tmp, 'nope.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`calltrail: ${join(tmp, 'nope.csv')}: no such file\n`);
    const empty = await runCli(['parse', file('empty.csv', '')]);
    expect([empty.code, empty.stdout, empty.stderr]).toEqual([0, '', '']);
  });
});

describe('calltrail config check', () => {
  it('accepts a good file and lists every problem of a bad one with its path', async () => {
    const good = file(
      'good.yaml',
      ['data: ./data', 'server: { port: 8080 }', 'switches:', '  - name: hq-pbx', '    format: cdrstats-csv', '    timezone: Europe/London', '    dialPlan: { country: GB, outsideLine: "9" }', '    sources:', '      - { type: tcp-server, listen: "127.0.0.1:9000" }', '      - { type: tcp-client, host: 127.0.0.1, port: 4000, startBytes: "02 00 00 00 84 00" }', '      - { type: serial, path: /dev/ttyS0, baudRate: 9600 }', '      - { type: file, path: /var/log/asterisk/cdr-csv/Master.csv }', ''].join('\n'),
    );
    const ok = await runCli(['config', 'check', good]);
    expect([ok.code, ok.stdout]).toEqual([0, `${good}: ok (1 switches, 4 sources, embedded database in ./data)\n`]);

    const bad = file(
      'bad.yaml',
      ['server: { port: 99999 }', 'colour: blue', 'switches:', '  - name: hq', '    format: nope', '    timezone: Mars/Base', '    sources:', '      - { type: tcp-server, listen: "nine thousand" }', '      - { type: pigeon }', '  - name: hq', '    format: cdrstats-csv', ''].join('\n'),
    );
    const r = await runCli(['config', 'check', bad]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('7 problem(s)');
    expect(lines.slice(0, -1).map((l) => l.slice(bad.length + 2)).sort()).toEqual(
      [
        '(top level): unknown key(s): colour',
        'server.port: Too big: expected number to be <=65535',
        'switches[0].format: unknown format "nope"',
        'switches[0].timezone: unknown time zone "Mars/Base"',
        'switches[0].sources[0].listen: expected "HOST:PORT", e.g. "127.0.0.1:9000"',
        "switches[0].sources[1].type: Invalid discriminator value. Expected 'file' | 'directory' | 'tcp-server' | 'tcp-client' | 'udp' | 'serial' | 'gateway-listener' | 'sql'",
        'switches[1].name: duplicate switch name "hq"',
      ].sort(),
    );
  });

  it('loads the format definitions the switches name, and lists their problems by path', async () => {
    const definition = file('pbx-format.yaml', ['id: my-pbx', 'layout:', '  kind: fixed', '  fields:', '    Start: [0, 10]', ''].join('\n'));
    const config = file(
      'formats.yaml',
      [
        'switches:',
        `  - { name: a, formatFile: ${definition}, timezone: UTC, sources: [] }`,
        '  - { name: b, formatFile: ./no-such-definition.yaml, timezone: UTC, sources: [] }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', config]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${config}: switches[0].formatFile.name: Invalid input: expected string, received undefined (line 1)`,
      `${config}: switches[1].formatFile: ${resolve(dirname(config), 'no-such-definition.yaml')}: no such file`,
      '2 problem(s)',
    ]);
  });

  it('points at the line of a YAML syntax error', async () => {
    const r = await runCli(['config', 'check', file('syntax.yaml', 'switches:\n  - name: [unclosed\n')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/syntax\.yaml: .*syntax\.yaml:\d+:\d+: /);
  });
});

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`calltrail import / export / reprocess on ${engine.name}`, () => {
    let store: Awaited<ReturnType<typeof engine.location>>;
    beforeAll(async () => {
      store = await engine.location();
    });
    afterAll(async () => store?.cleanup());

    it('imports a file once: a second import only counts duplicates', async () => {
      const args = ['import', SEED_004, '--format', 'cdrstats-csv', '--switch', 'madrid', '--tz', 'Europe/Madrid', ...store.cliArgs];
      const first = await runCli(args);
      expect([first.code, first.stdout, first.stderr]).toEqual([0, 'imported 5, duplicates 0, rejected 0\n', '']);
      const second = await runCli(args);
      expect([second.code, second.stdout]).toEqual([0, 'imported 0, duplicates 5, rejected 0\n']);
    });

    it('lists rejected rows with their line numbers and keeps them in the journal', async () => {
      const garbage = Buffer.concat([Buffer.from(HEADER + '\n' + GOOD_ROW.replace('aa-1', 'bb-1') + '\n'), Buffer.from([0, 1, 2, 0xff, 0xfe, 10]), Buffer.from('x'.repeat(10 * 1024 * 1024) + '\n'), Buffer.from('a,"b\n' + GOOD_ROW.replace('aa-1', 'bb-2') + '\n')]);
      const path = file('mixed.csv', garbage);
      const r = await runCli(['import', path, '--format', 'cdrstats-csv', '--switch', 'mixed', ...store.cliArgs]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('imported 2, duplicates 0, rejected 3\n');
      expect(r.stderr.trim().split('\n')).toEqual([
        `${path}:3: rejected: expected 25 fields, found 1`,
        `${path}:4: rejected: record longer than 65536 bytes: cut there and not parsed`,
        `${path}:5: rejected: unbalanced quote in field 2`,
      ]);
      const database = await openDatabase(store.url ? { url: store.url } : { data: store.dir });
      try {
        const failed = await database.transaction((tx) =>
          tx.query<{ sequence: string; len: number; error: string }>(
            `SELECT r.sequence::text, length(r.raw) AS len, r.error FROM raw_records r JOIN switches s ON s.id = r.switch_id
             WHERE s.name = 'mixed' AND r.status = 'failed' ORDER BY r.sequence`,
          ),
        );
        expect(failed.map((f) => [f.sequence, f.len])).toEqual([['3', 5], ['4', 65536], ['5', 4]]);
      } finally {
        await database.close();
      }
    });

    it('fails clearly on a missing file, and imports an empty one as nothing', async () => {
      const missing = await runCli(['import', join(tmp, 'gone.csv'), '--format', 'cdrstats-csv', '--switch', 'x', ...store.cliArgs]);
      expect([missing.code, missing.stderr]).toEqual([1, `calltrail: ${join(tmp, 'gone.csv')}: no such file\n`]);
      const empty = await runCli(['import', file('empty-import.csv', ''), '--format', 'cdrstats-csv', '--switch', 'madrid', ...store.cliArgs]);
      expect([empty.code, empty.stdout]).toEqual([0, 'imported 0, duplicates 0, rejected 0\n']);
    });

    it('exports what it stored as CSV and NDJSON', async () => {
      const csv = await runCli(['export', '--switch', 'madrid', ...store.cliArgs]);
      expect(csv.code).toBe(0);
      const lines = csv.stdout.trimEnd().split('\r\n');
      expect(lines).toHaveLength(6);
      expect(lines[0]).toBe('switch,format,callId,direction,startedAt,answeredAt,endedAt,ringSeconds,talkSeconds,holdSeconds,durationSeconds,disposition,callerNumber,callerName,dialedNumber,calledNumber,extension,trunk,accountCode,transferredTo,answeredBy,hangupCause,extra,raw');
      expect(lines[1]).toMatch(/^madrid,cdrstats-csv,96aa82fe-7bd1-11e5-a230-5c514f6a0f72,inbound,2015-10-21T12:13:10\+02:00,2015-10-21T12:13:15\+02:00,2015-10-21T12:14:05\+02:00,5,50,,55,answered,904151440,CallerIDName,\+34798400122,34798400122,,,1000,,,16,/);
      const nd = await runCli(['export', '--format', 'ndjson', '--from', '2015-10-21T10:30:00Z', '--to', '2015-10-21T10:53:00Z', ...store.cliArgs]);
      expect(nd.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { callId: string }).callId)).toEqual(['c9135e4a-7bd1-11e5-a230-5c514f6a0f72']);
    });

    it('reprocesses failed records only when asked', async () => {
      const r = await runCli(['reprocess', '--switch', 'mixed', '--failed-only', ...store.cliArgs]);
      expect([r.code, r.stdout]).toEqual([0, 'mixed: records 3, calls removed 0, calls stored 0, duplicates 0, failed 3\n']);
      const all = await runCli(['reprocess', '--switch', 'madrid', ...store.cliArgs]);
      // Six: the five calls and the header line, journaled once though the file was imported twice.
      expect(all.stdout).toBe('madrid: records 6, calls removed 5, calls stored 5, duplicates 0, failed 0\n');
      const unknown = await runCli(['reprocess', '--switch', 'nope', ...store.cliArgs]);
      expect([unknown.code, unknown.stderr]).toEqual([1, 'calltrail: --switch: no switch named "nope"\n']);
    });
  });
}
