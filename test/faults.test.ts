import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFormat } from '../src/formats/registry.js';
import { generateCalls } from '../src/simulate/generate.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { createScratchDatabase } from '../src/store/scratch-database.js';
import { BIN } from './support/cli.js';
import { POSTGRES_URL } from './support/engines.js';
import { freePort } from '../src/transports/transport.js';

// Issue 5's faults, against the built `calltrail collect` and real PostgreSQL servers on loopback:
// a collector killed with SIGKILL mid-stream, the database stopped for two minutes under a steady
// stream, two redundant collectors on one stream with one of them killed. Each ends with exact
// counts: every record a collector read is stored once.

const PG_BIN = '/usr/lib/postgresql/15/bin';
const SIEMENS = getFormat('siemens-hipath');
const CTX = { timeZone: 'UTC', referenceDate: '2026-01-20' };

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'calltrail-faults-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


/** Distinct Siemens records (one call each), as the PBX prints them. */
function records(count: number, seed: number): string[] {
  return generateCalls({ count, seed, startMs: Date.UTC(2026, 0, 5), meanGapSeconds: 3 }).flatMap((c) => SIEMENS.render(c, CTX));
}

interface Collector {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function writeConfig(name: string, collectorId: string, port: number, journalDir: string): string {
  const path = join(tmp, `${name}-${collectorId}.yaml`);
  writeFileSync(
    path,
    [
      `collector: { id: ${collectorId}, batchSize: 500, journal: { dir: ${journalDir}, fsync: always, keepCommittedSegments: 1000 } }`,
      'switches:',
      `  - { name: ${name}, format: siemens-hipath, timezone: UTC, sources: [{ type: tcp-server, listen: "127.0.0.1:${port}" }] }`,
      '',
    ].join('\n'),
  );
  return path;
}

async function startCollector(config: string, databaseUrl: string): Promise<Collector> {
  const child = spawn(process.execPath, [BIN, 'collect', '--config', config, '--database', databaseUrl], {
    env: { ...process.env, CALLTRAIL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  for (let i = 0; i < 300 && !/collector .* running/.test(stderr); i++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  if (!/collector .* running/.test(stderr)) throw new Error(`collector did not start: ${stderr}`);
  return { child, stderr: () => stderr, exited };
}

/** A PBX on one TCP connection: writes the lines, `perSecond` at most, until done or the peer goes. */
async function pbx(port: number, lines: string[], perSecond?: number): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
  let written = 0;
  let broken = false;
  socket.on('error', () => (broken = true));
  socket.on('close', () => (broken = true));
  const chunk = perSecond ? Math.max(1, Math.round(perSecond / 20)) : 500;
  while (written < lines.length && !broken) {
    const text = lines.slice(written, written + chunk).map((l) => l + '\r\n').join('');
    const ok = socket.write(text);
    written = Math.min(lines.length, written + chunk);
    if (!ok) await new Promise<void>((r) => (socket.once('drain', () => r()), socket.once('close', () => r())));
    if (perSecond) await sleep(50);
  }
  socket.end();
  return written;
}

async function stored(database: Database, switchName: string): Promise<{ calls: number; raw: number; receipts: Record<string, number> }> {
  return database.transaction(async (tx) => {
    const [c] = await tx.query<{ n: string }>('SELECT count(*)::text AS n FROM calls c JOIN switches s ON s.id = c.switch_id WHERE s.name = $1', [switchName]);
    const [r] = await tx.query<{ n: string }>('SELECT count(*)::text AS n FROM raw_records r JOIN switches s ON s.id = r.switch_id WHERE s.name = $1', [switchName]);
    const rec = await tx.query<{ collector_id: string; n: string }>(
      `SELECT collector_id, count(*)::text AS n FROM receipts WHERE call_id IN (SELECT c.id FROM calls c JOIN switches s ON s.id = c.switch_id WHERE s.name = $1) GROUP BY collector_id`,
      [switchName],
    );
    return { calls: Number(c!.n), raw: Number(r!.n), receipts: Object.fromEntries(rec.map((x) => [x.collector_id, Number(x.n)])) };
  });
}

/** Records a journal holds (segments are kept: keepCommittedSegments), counted by a fresh reader. */
async function journaled(dir: string): Promise<{ last: number; committed: number }> {
  const { RecordJournal } = await import('../src/journal/journal.js');
  const journal = await RecordJournal.open(dir);
  try {
    let count = 0;
    for await (const r of journal.replay(0)) if (r.sequence > 0) count++;
    expect(count).toBe(journal.lastSequence); // no gaps
    return { last: journal.lastSequence, committed: journal.committedSequence };
  } finally {
    await journal.close();
  }
}

/** Waits until the switch's stored rows stop changing for three seconds. */
async function settled(database: Database, switchName: string): Promise<void> {
  let before = -1;
  for (let i = 0; i < 100; i++) {
    const s = await stored(database, switchName);
    const now = s.calls + s.raw;
    if (now === before && now > 0) return;
    before = now;
    await sleep(3000);
  }
}

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!POSTGRES_URL)('collector faults (PostgreSQL)', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let database: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase(POSTGRES_URL!, 'ct_faults');
    database = await openDatabase({ url: scratch.url });
    const { migrate } = await import('../src/store/migrate.js');
    await migrate(database);
  });
  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  it('kill -9 mid-stream of 100,000 records, then a restart: every record it read is stored once', async () => {
    const port = await freePort();
    const journalDir = join(tmp, 'k9-journal');
    const config = writeConfig('k9', 'k9-collector', port, journalDir);
    const first = await startCollector(config, scratch.url);
    const lines = records(100_000, 41);
    const sending = pbx(port, lines);
    // Let it read a good part of the stream, then pull the plug.
    await until('records journaled', async () => existsSync(journalDir) && (await stored(database, 'k9')).calls > 5_000, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await sending;

    const second = await startCollector(config, scratch.url);
    // Nothing arrives any more: what the first one journaled drains from the journal alone.
    await settled(database, 'k9');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const j = await journaled(journalDir);
    const s = await stored(database, 'k9');
    expect(j.committed).toBe(j.last);
    // Every journaled record is one row: its call, or (none here) a journal row. Not one more, not one less.
    expect(s.calls + s.raw).toBe(j.last);
    expect(s.raw).toBe(0);
    expect(j.last).toBeGreaterThan(5_000);
    expect(j.last).toBeLessThanOrEqual(100_000);
  }, 300_000);

  it('two redundant collectors on one stream, one killed and restarted: each call once, receipts from both', async () => {
    const portA = await freePort();
    const portB = await freePort();
    // Both collectors name the switch the same: the stream is one switch's.
    const configA = writeConfig('redundant', 'logger-a', portA, join(tmp, 'red-a'));
    const configB = writeConfig('redundant', 'logger-b', portB, join(tmp, 'red-b'));
    const a = await startCollector(configA, scratch.url);
    let b = await startCollector(configB, scratch.url);
    const lines = records(3_000, 77);
    // The PBX's output is split to both loggers (seed 000's Y cable); B dies after the first 1,000.
    await Promise.all([pbx(portA, lines.slice(0, 1_000)), pbx(portB, lines.slice(0, 1_000))]);
    await until('1,000 calls', async () => (await stored(database, 'redundant')).calls === 1_000, 60_000);
    await sleep(500);
    b.child.kill('SIGKILL');
    await b.exited;
    await pbx(portA, lines.slice(1_000, 2_000));
    b = await startCollector(configB, scratch.url);
    await Promise.all([pbx(portA, lines.slice(2_000)), pbx(portB, lines.slice(2_000))]);
    await until('3,000 calls with receipts', async () => {
      const s = await stored(database, 'redundant');
      return s.calls === 3_000 && s.receipts['logger-b'] === 2_000 && s.receipts['logger-a'] === 3_000;
    }, 60_000);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(await stored(database, 'redundant')).toEqual({ calls: 3_000, raw: 0, receipts: { 'logger-a': 3_000, 'logger-b': 2_000 } });
  }, 180_000);
});

const ownCluster = existsSync(join(PG_BIN, 'pg_ctl')) && POSTGRES_URL !== undefined;

describe.skipIf(!ownCluster)('the database stopped for two minutes under a steady stream', () => {
  const env = { ...process.env, CALLTRAIL_TEST_PG_DIR: join(tmpdir(), 'calltrail-outage-pg'), CALLTRAIL_TEST_PG_PORT: '54339' };
  const pgctl = (what: 'start' | 'stop'): string => {
    const r = spawnSync('scripts/test-postgres.sh', [what], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`test-postgres.sh ${what}: ${r.stderr}`);
    return r.stdout;
  };
  afterAll(() => {
    pgctl('stop');
    rmSync(env.CALLTRAIL_TEST_PG_DIR, { recursive: true, force: true });
  });

  it('loses nothing: the backlog waits in the journal and drains when the database is back', async () => {
    const url = /CALLTRAIL_TEST_DATABASE_URL=(\S+)/.exec(pgctl('start'))![1]!;
    const port = await freePort();
    const config = writeConfig('outage', 'outage-collector', port, join(tmp, 'outage-journal'));
    const collector = await startCollector(config, url);
    const lines = records(1_600, 93);
    // 10 records a second for 160 s: 20 s before the outage, 120 s down, 20 s after.
    const sending = pbx(port, lines, 10);
    await sleep(20_000);
    pgctl('stop');
    await sleep(120_000);
    pgctl('start');
    const written = await sending;
    expect(written).toBe(1_600);
    const database = await openDatabase({ url });
    try {
      await until('every call stored', async () => (await stored(database, 'outage')).calls === 1_600, 120_000);
      collector.child.kill('SIGTERM');
      expect(await collector.exited).toBe(0);
      expect(await stored(database, 'outage')).toEqual({ calls: 1_600, raw: 0, receipts: { 'outage-collector': 1_600 } });
      expect(collector.stderr()).toMatch(/retrying/);
    } finally {
      await database.close();
    }
  }, 420_000);
});
