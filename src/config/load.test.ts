import { mkdtempSync, writeFileSync } from 'node:fs';
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
    expect(config.server).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(config.switches[0]).toMatchObject({ name: 'hq-pbx', tenant: 'default', dialPlan: { country: 'GB', outsideLine: '9' } });
    expect(config.switches[0]!.sources[0]).toEqual({ type: 'serial', path: '/dev/ttyS0', baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, enabled: true });
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
