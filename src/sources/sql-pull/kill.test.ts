import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openEngine, type EngineKind, type SqlEngine } from './engines.js';
import {
  ASTERISK_CDR_MYSQL,
  ASTERISK_CDR_PGSQL,
  ASTERISK_COLUMNS,
  asteriskRows,
  insertAsterisk,
  MYSQL_SKIP_NOTE,
  MYSQL_URL,
  POSTGRES_SKIP_NOTE,
  POSTGRES_URL,
  run,
  scratchMysql,
  scratchPostgres,
} from './test-support.js';

// kill -9 of the puller in the middle of a batch, then a restart: every row reaches the sink at
// least once, the restart resumes right after the saved high-water mark (nothing skipped), the
// rows read twice are only those taken after it, and an idempotent sink ends with each row once.

const CHILD = fileURLToPath(new URL('./fixtures/pull-child.ts', import.meta.url));
const TOTAL = 3000;
const BATCH = 500;
const KILL_AFTER = 1234;

interface Run {
  keys: string[];
  killed: boolean;
  stderr: string;
}

function runChild(engine: EngineKind, where: string, stateDir: string, killAfter: number | null): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, engine, where, stateDir, String(BATCH)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CALLTRAIL_LOG_LEVEL: 'silent' },
  });
  const keys: string[] = [];
  let rest = '';
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line !== 'DONE') keys.push(line);
    if (killAfter !== null && !killed && keys.length >= killAfter) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killAfter !== null && signal !== 'SIGKILL') reject(new Error(`the child was not killed (exit ${code}): ${stderr.slice(0, 2000)}`));
      else if (killAfter === null && code !== 0) reject(new Error(`the child failed (exit ${code}): ${stderr.slice(0, 2000)}`));
      else resolve({ keys, killed, stderr });
    });
  });
}

async function killAndRestart(engine: EngineKind, where: string, stateDir: string): Promise<void> {
  const rows = asteriskRows(TOTAL);
  const all = rows.map((r) => `${r.calldate}|${r.uniqueid}`);
  const first = await runChild(engine, where, stateDir, KILL_AFTER);
  expect(first.killed).toBe(true);
  expect(first.keys.length).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(first.keys.length).toBeLessThan(TOTAL);
  expect(first.keys).toEqual(all.slice(0, first.keys.length)); // in table order, none twice

  const state = JSON.parse(readFileSync(join(stateDir, readdirSync(stateDir).find((f) => f.endsWith('.json'))!), 'utf8'));
  const mark = state.highWater ? all.indexOf(`${state.highWater.key}|${state.highWater.tie}`) + 1 : 0;
  expect(mark % BATCH).toBe(0); // the mark sits at a batch boundary …
  expect(mark).toBeLessThan(first.keys.length); // … before the rows taken when the kill came: it was mid-batch
  expect(state.rows).toBe(mark);

  const second = await runChild(engine, where, stateDir, null);
  expect(second.keys).toEqual(all.slice(mark)); // resumes right after the mark: nothing skipped
  const twice = first.keys.filter((k) => second.keys.includes(k));
  expect(twice).toEqual(all.slice(mark, first.keys.length));
  expect(twice.length).toBeLessThan(BATCH);

  const stored = new Set([...first.keys, ...second.keys]); // an idempotent sink keyed by row
  expect([...stored].sort()).toEqual([...all].sort());
}

async function fill(engine: SqlEngine, ddl: string): Promise<void> {
  await run(engine, ddl);
  await insertAsterisk(engine, asteriskRows(TOTAL), 'cdr', 1000);
}

describe('sql pull: kill -9 mid-batch and restart', () => {
  it('SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-sql-kill-'));
    try {
      const path = join(dir, 'master.db');
      const db = new Sqlite(path);
      db.exec(`CREATE TABLE cdr (${ASTERISK_COLUMNS.map((c) => `${c} ${c === 'duration' || c === 'billsec' || c === 'amaflags' ? 'INTEGER' : 'TEXT'}`).join(', ')})`);
      const insert = db.prepare(`INSERT INTO cdr (${ASTERISK_COLUMNS.join(', ')}) VALUES (${ASTERISK_COLUMNS.map((c) => '@' + c).join(', ')})`);
      db.transaction(() => asteriskRows(TOTAL).forEach((r) => insert.run(r)))();
      db.close();
      await killAndRestart('sqlite', path, join(dir, 'state'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!POSTGRES_URL)(POSTGRES_URL ? 'PostgreSQL' : POSTGRES_SKIP_NOTE, async () => {
    const scratch = await scratchPostgres(POSTGRES_URL!);
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-sql-kill-'));
    try {
      const db = await openEngine({ engine: 'postgres', url: scratch.url });
      await fill(db, ASTERISK_CDR_PGSQL.replace('timestamp with time zone', 'timestamp without time zone'));
      await db.close();
      await killAndRestart('postgres', scratch.url, join(dir, 'state'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await scratch.drop();
    }
  });

  it.skipIf(!MYSQL_URL)(MYSQL_URL ? 'MariaDB' : MYSQL_SKIP_NOTE, async () => {
    const scratch = await scratchMysql(MYSQL_URL!);
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-sql-kill-'));
    try {
      const db = await openEngine({ engine: 'mysql', url: scratch.url });
      await fill(db, ASTERISK_CDR_MYSQL);
      await db.close();
      await killAndRestart('mysql', scratch.url, join(dir, 'state'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await scratch.drop();
    }
  });
});
