import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { mergeLegs } from '../formats/legs.js';
import { getFormat } from '../formats/registry.js';
import { syncSwitches } from '../pipeline/switches.js';
import { connectSink, runSimulate, simulate } from '../simulate/simulator.js';
import type { Database } from '../store/database.js';
import { pgliteEngine, type TestStore } from '../../test/support/engines.js';
import { startCollector, type RunningCollector } from './collector.js';
import { freePort } from '../transports/transport.js';

// The collector end to end on loopback: the simulator is the PBX, PGlite the store.

// One store for the file: each test names its own switches.
let store: TestStore;
let collector: RunningCollector | null = null;
beforeAll(async () => {
  store = await pgliteEngine.create();
});
afterEach(async () => {
  await collector?.stop();
  collector = null;
});
const journalDirs: string[] = [];
afterAll(async () => {
  await store.cleanup();
  for (const dir of journalDirs) rmSync(dir, { recursive: true, force: true });
});


async function start(database: Database, raw: unknown): Promise<RunningCollector> {
  const config = configSchema.parse(raw);
  const switches = await syncSwitches(database, config);
  const journal = { ...config.collector.journal, dir: mkdtempSync(join(tmpdir(), 'calltrail-journal-')) };
  journalDirs.push(journal.dir);
  collector = await startCollector(database, { ...config, collector: { ...config.collector, id: 'test-collector', journal } }, switches);
  return collector;
}

async function callsBySwitch(database: Database, names: string[], table: 'calls' | 'call_legs' = 'calls'): Promise<Record<string, number>> {
  const rows = await database.transaction((tx) =>
    tx.query<{ name: string; n: string }>(
      `SELECT s.name, count(*)::text AS n FROM ${table} c JOIN switches s ON s.id = c.switch_id WHERE s.name = ANY($1::text[]) GROUP BY s.name ORDER BY s.name`,
      [names],
    ),
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}

async function waitForCalls(database: Database, expected: Record<string, number>): Promise<void> {
  let seen: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    await collector!.ingestor.flush();
    seen = await callsBySwitch(database, Object.keys(expected));
    if (JSON.stringify(seen) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(seen).toEqual(expected);
}

describe('collector sources', () => {
  it('takes pushed records on a TCP server, one parse stream per connection', async () => {
    const port = await freePort();
    await start(store.database, {
      switches: [{ name: 'hq', format: 'avaya-ipo', timezone: 'Europe/London', sources: [{ type: 'tcp-server', listen: `127.0.0.1:${port}` }] }],
    });
    const format = getFormat('avaya-ipo');
    // Two PBX connections at once, 40 and 25 calls.
    const [a, b] = await Promise.all([
      simulate({ format, count: 40, seed: 1, timeZone: 'Europe/London' }, await connectSink('127.0.0.1', port)),
      simulate({ format, count: 25, seed: 2, timeZone: 'Europe/London' }, await connectSink('127.0.0.1', port)),
    ]);
    expect(a.calls + b.calls).toBe(65);
    await waitForCalls(store.database, { hq: 65 });
    const status = collector!.status().sources;
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ switch: 'hq', source: 'tcp-server-1', type: 'tcp-server', connected: true });
    expect(status[0]!.records).toBe(a.records + b.records);
    // Younger than a minute: the rate since the start, so at least every record so far.
    expect(status[0]!.recordsPerMinute).toBeGreaterThanOrEqual(a.records + b.records);
  });

  it('connects to a Mitel 5000, sends the start command and reads its records', async () => {
    const port = await freePort();
    const format = getFormat('mitel-cs5000');
    const pbx = runSimulate({ format, count: 30, seed: 5, timeZone: 'America/Chicago', target: { kind: 'listen', host: '127.0.0.1', port } });
    await start(store.database, {
      switches: [
        {
          name: 'mitel',
          format: 'mitel-cs5000',
          timezone: 'America/Chicago',
          sources: [{ type: 'tcp-client', host: '127.0.0.1', port, startBytes: '02 00 00 00 84 00', reconnect: { initialSeconds: 0.05, maxSeconds: 0.2 } }],
        },
      ],
    });
    const summary = await pbx;
    expect(summary.calls).toBe(30);
    await waitForCalls(store.database, { mitel: 30 });
  });

  it('sends two PBXs on one port to two switches by source address', async () => {
    const port = await freePort();
    await start(store.database, {
      switches: [
        { name: 'north', format: 'siemens-hipath', sources: [{ type: 'tcp-server', listen: `0.0.0.0:${port}`, from: ['127.0.0.2'] }] },
        { name: 'south', format: 'siemens-hipath', sources: [{ type: 'tcp-server', listen: `0.0.0.0:${port}` }] },
      ],
    });
    const format = getFormat('siemens-hipath');
    const fromAddress = async (localAddress: string) => {
      const socket = net.connect({ host: '127.0.0.1', port, localAddress });
      await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
      return socket;
    };
    const north = await fromAddress('127.0.0.2');
    const south = await fromAddress('127.0.0.1');
    const lines = (seed: number, n: number) =>
      simulate({ format, count: n, seed, timeZone: 'UTC' }, { write: async (chunk) => north.write(chunk) && true, close: async () => undefined });
    // The simulator renders; each socket gets its own calls.
    await lines(7, 12);
    await simulate({ format, count: 9, seed: 8, timeZone: 'UTC' }, { write: async (chunk) => south.write(chunk) && true, close: async () => undefined });
    north.end();
    south.end();
    await waitForCalls(store.database, { north: 12, south: 9 });
  });

  it('reads a file source to its end and says when it is done', async () => {
    await start(store.database, {
      switches: [{ name: 'madrid', format: 'cdrstats-csv', timezone: 'Europe/Madrid', sources: [{ type: 'file', path: resolve('src/formats/cdrstats-csv/fixtures/seed-004.csv') }] }],
    });
    await collector!.done;
    await waitForCalls(store.database, { madrid: 5 });
    expect(collector!.status().sources[0]).toMatchObject({ type: 'file', records: 6, connected: false });
  });
});

describe('file and directory sources', () => {
  it('follows a Master.csv across rotation and reads a CUCM drop directory once, moving files when done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-files-'));
    journalDirs.push(dir);
    const master = join(dir, 'Master.csv');
    const rows = readFileSync(resolve('src/formats/asterisk-csv/fixtures/Master-13.csv'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(master, rows.slice(0, 3).map((r) => r + '\n').join(''));
    const drop = join(dir, 'cucm');
    mkdirSync(drop);
    const c = await start(store.database, {
      data: join(dir, 'data'),
      switches: [
        { name: 'ast', format: 'asterisk-csv', timezone: 'UTC', sources: [{ type: 'file', path: master, follow: true, pollSeconds: 0.02 }] },
        { name: 'cm', format: 'cisco-cucm', timezone: 'UTC', sources: [{ type: 'directory', path: drop, pattern: 'cdr_*', doneAction: { moveTo: 'done' }, pollSeconds: 0.02 }] },
      ],
    });
    // Asterisk writes a CDR per leg: the store keeps them all and counts the calls they make up.
    const callsOf = (format: string, lines: string[]): number => {
      const parser = getFormat(format).createParser({ timeZone: 'UTC', referenceDate: '2026-01-20' });
      const legs = lines.flatMap((line) => {
        const r = parser(line);
        return r.kind === 'call' ? [r.call] : [];
      });
      return mergeLegs(legs, getFormat(format).legKeys!).length;
    };
    await waitForCalls(store.database, { ast: callsOf('asterisk-csv', rows.slice(0, 3)) });
    // logrotate: the file is renamed and a new one started.
    renameSync(master, master + '.1');
    writeFileSync(master, rows.slice(3).map((r) => r + '\n').join(''));
    const cucmDir = resolve('src/formats/cisco-cucm/fixtures');
    const cucmFiles = readdirSync(cucmDir).filter((n) => n.startsWith('cdr_'));
    const cucmLines: string[] = [];
    for (const f of cucmFiles) {
      cucmLines.push(...readFileSync(join(cucmDir, f), 'utf8').split(/\r?\n/).filter(Boolean));
      copyFileSync(join(cucmDir, f), join(drop, f));
    }
    await waitForCalls(store.database, { ast: callsOf('asterisk-csv', rows), cm: callsOf('cisco-cucm', cucmLines) });
    expect(await callsBySwitch(store.database, ['ast', 'cm'], 'call_legs')).toEqual({ ast: rows.length, cm: cucmLines.filter((l) => getFormat('cisco-cucm').createParser({ timeZone: 'UTC', referenceDate: '2026-01-20' })(l).kind === 'call').length });
    for (let i = 0; i < 100 && readdirSync(drop).some((n) => n.startsWith('cdr_')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(join(drop, 'done')).sort()).toEqual(cucmFiles.sort());
    expect(c.status().sources.find((s) => s.switch === 'ast')).toMatchObject({ type: 'file', reconnects: 1 });
  });
});
