import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CalltrailError } from '../core/errors.js';
import { loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-config-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('configuration', () => {
  it('loads the outline with its defaults', () => {
    const file = write('outline.yaml', 'data: ./data\nserver: { port: 8080 }\nswitches:\n  - name: hq-pbx\n    format: cdrstats-csv\n    timezone: Europe/London\n    dialPlan: { country: GB, outsideLine: "9" }\n    sources:\n      - { type: serial, path: /dev/ttyS0, baudRate: 9600 }\n');
    const { config } = loadConfig({ file, env: {} });
    expect(config.data).toBe('./data');
    expect(config.server).toEqual({ port: 8080, host: '0.0.0.0', ingestTokens: [] });
    expect(config.switches[0]).toMatchObject({ name: 'hq-pbx', tenant: 'default', dialPlan: { country: 'GB', outsideLine: '9' } });
    expect(config.switches[0]!.sources[0]).toEqual({
      type: 'serial',
      path: '/dev/ttyS0',
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      flowControl: 'none',
      reopen: { initialSeconds: 1, maxSeconds: 30, jitter: 0.2 },
      enabled: true,
    });
  });

  it('takes the command line over the environment over the file', () => {
    const file = write('layers.yaml', 'data: ./from-file\nserver: { port: 1111, host: 127.0.0.1 }\n');
    expect(loadConfig({ file, env: {} }).config).toMatchObject({ data: './from-file', server: { port: 1111, host: '127.0.0.1' } });
    const env = { CALLTRAIL_PORT: '2222', CALLTRAIL_DATABASE_URL: 'postgres://u@h/db' };
    const fromEnv = loadConfig({ file, env }).config;
    expect(fromEnv).toMatchObject({ database: 'postgres://u@h/db', server: { port: 2222, host: '127.0.0.1' } });
    expect(fromEnv.data).toBeUndefined(); // a database URL at a higher layer replaces the file's data dir
    const fromCli = loadConfig({ file, env, cli: { port: 3333, data: './cli-data' } }).config;
    expect(fromCli).toMatchObject({ data: './cli-data', server: { port: 3333 } });
    expect(fromCli.database).toBeUndefined();
  });

  it('lists a bad environment value with its variable name', () => {
    const err = (() => {
      try {
        loadConfig({ file: write('empty.yaml', ''), env: { CALLTRAIL_PORT: 'eighty' } });
      } catch (e) {
        return e as CalltrailError;
      }
      return null;
    })();
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.details).toContainEqual({ path: 'CALLTRAIL_PORT', message: '"eighty" is not a port number' });
  });

  it('says when the named file is missing', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/missing\.yaml: no such file/);
  });
});

describe('listener checks', () => {
  it('refuses two catch-all sources on one address and a gateway listener on another format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      [
        'switches:',
        '  - { name: a, format: panasonic, sources: [{ type: tcp-server, listen: "0.0.0.0:9000" }] }',
        '  - { name: b, format: panasonic, sources: [{ type: tcp-server, listen: "0.0.0.0:9000" }, { type: gateway-listener, listen: "0.0.0.0:9001" }] }',
        '  - { name: c, format: panasonic, sources: [{ type: udp, listen: "0.0.0.0:9000", from: ["10.0.0.0/8", "bad"] }] }',
      ].join('\n'),
    );
    try {
      loadConfig({ file, env: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as CalltrailError).details).toEqual([
        { path: 'switches[2].sources[0].from[1]', message: '"bad" is not an IP address or CIDR block (e.g. 10.0.0.5 or 10.0.0.0/24)' },
      ]);
    }
    writeFileSync(
      file,
      [
        'switches:',
        '  - { name: a, format: panasonic, sources: [{ type: tcp-server, listen: "0.0.0.0:9000" }] }',
        '  - { name: b, format: panasonic, sources: [{ type: tcp-server, listen: "0.0.0.0:9000" }, { type: gateway-listener, listen: "0.0.0.0:9001" }] }',
        '  - { name: c, format: panasonic, sources: [{ type: udp, listen: "0.0.0.0:9000" }] }',
      ].join('\n'),
    );
    try {
      loadConfig({ file, env: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as CalltrailError).details).toEqual([
        { path: 'switches[1].sources[0].from', message: 'switches[0].sources[0] already takes every peer on tcp-server 0.0.0.0:9000; give one of them "from"' },
        { path: 'switches[1].sources[1].type', message: 'a gateway-listener source needs a switch of format gateway-events' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('column orders (columns / template)', () => {
  const problemsOf = (lines: string[]): unknown => {
    try {
      loadConfig({ file: write('columns.yaml', ['switches:', ...lines].join('\n') + '\n'), env: {} });
    } catch (err) {
      return (err as CalltrailError).details;
    }
    return [];
  };

  it('takes a cdr_custom mapping or a FreeSWITCH template, and a list of names', () => {
    const { config } = loadConfig({
      file: write(
        'columns-ok.yaml',
        [
          'switches:',
          `  - { name: a, format: asterisk-csv, template: '\${CSV_QUOTE(\${CDR(src)})},\${CDR(start)},\${CDR(duration)},\${CDR(billsec)},\${CDR(disposition)}' }`,
          `  - { name: b, format: freeswitch-csv, columns: [uuid, start_stamp, duration, billsec, department] }`,
        ].join('\n'),
      ),
      env: {},
    });
    expect(config.switches.map((s) => [s.template, s.columns])).toEqual([
      ['${CSV_QUOTE(${CDR(src)})},${CDR(start)},${CDR(duration)},${CDR(billsec)},${CDR(disposition)}', undefined],
      [undefined, ['uuid', 'start_stamp', 'duration', 'billsec', 'department']],
    ]);
  });

  it('names the switch, the key and the missing columns', () => {
    expect(
      problemsOf([
        '  - { name: a, format: asterisk-csv, template: "${CDR(start)},${CDR(duration)},${CDR(billsec)},${CDR(disposition)}" }',
        '  - { name: b, format: freeswitch-csv, template: "${uuid},${start_stamp},${duration},${billsec}" }',
        '  - { name: c, format: panasonic, template: "${CDR(start)}" }',
        '  - { name: d, format: asterisk-csv, template: "${CDR(start)},${CDR(duration)},${CDR(disposition)}" }',
        '  - { name: e, format: freeswitch-csv, columns: [uuid, start_stamp, duration], template: "${uuid}" }',
        '  - { name: f, formatFile: ./pbx.yaml, columns: [uuid] }',
        '  - { name: g, format: freeswitch-csv, columns: [uuid, start_stamp, duration] }',
        '  - { name: h, format: freeswitch-csv, template: "uuid,start_stamp" }',
      ]),
    ).toEqual([
      { path: 'switches[2].template', message: 'template is only for format asterisk-csv or freeswitch-csv, not format panasonic' },
      { path: 'switches[3].template', message: 'asterisk-csv columns lack billsec' },
      { path: 'switches[4].template', message: 'give either columns or template, not both' },
      { path: 'switches[5].columns', message: 'columns is only for format asterisk-csv or freeswitch-csv, not a formatFile definition' },
      { path: 'switches[6].columns', message: 'freeswitch-csv template lacks ${billsec}' },
      { path: 'switches[7].template', message: 'found no ${variable} columns in the template' },
    ]);
  });
});
