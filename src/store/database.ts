import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { CalltrailError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { nextRun } from '../core/next-run.js';
import { lockDataDir } from './lock.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Schema } from './schema.js';

export type Engine = 'pglite' | 'postgres';

const log = logger('store');
const execFileAsync = promisify(execFile);

/** A transaction: plain queries and COPY on one connection. */
export interface Tx {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  run<R>(query: CompiledQuery<R>): Promise<R[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
  /** COPY … FROM STDIN: text format (tab-separated rows, see copyRow) or binary (see BinaryCopyWriter). */
  copyFrom(table: string, columns: readonly string[], data: string | Buffer): Promise<void>;
}

export interface Database {
  readonly engine: Engine;
  /** Where the data lives: a directory or a URL with the password hidden. */
  readonly location: string;
  readonly db: Kysely<Schema>;
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  serverVersion(): Promise<string>;
  /**
   * Makes every transaction committed so far durable on disk. PostgreSQL: nothing to do (a commit
   * is). PGlite writes through the OS without fsync, so its data directory's file system is synced.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PGlite data directory. */
  data?: string | undefined;
  /** PostgreSQL URL; wins over data. */
  url?: string | undefined;
  /** What this process is, for the lock's error message. */
  purpose?: string;
}

function copySql(table: string, columns: readonly string[], data: string | Buffer, from: string): string {
  return `COPY ${table} (${columns.join(', ')}) FROM ${from}${typeof data === 'string' ? '' : ' WITH (FORMAT binary)'}`;
}

// ---------------------------------------------------------------- PGlite

class PGliteDatabase implements Database {
  readonly engine = 'pglite' as const;
  readonly db: Kysely<Schema>;
  private syncUnavailable = false;
  /** A caller's sync starts after its commit; callers while one runs share the next. */
  readonly sync = nextRun(() => this.syncFileSystem());

  constructor(
    private readonly pglite: PGlite,
    readonly location: string,
    private readonly releaseLock: () => void,
  ) {
    this.db = new Kysely<Schema>({ dialect: new PGliteDialect(pglite) });
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (t) => {
      const tx: Tx = {
        query: async <R>(sql: string, params: readonly unknown[] = []) => (await t.query<R>(sql, params as unknown[])).rows,
        run: async <R>(q: CompiledQuery<R>) => (await t.query<R>(q.sql, q.parameters as unknown[])).rows,
        exec: async (sql) => {
          await t.exec(sql);
        },
        copyFrom: async (table, columns, data) => {
          await t.query(copySql(table, columns, data, "'/dev/blob'"), [], { blob: new Blob([data]) });
        },
      };
      return fn(tx);
    });
  }

  async serverVersion(): Promise<string> {
    const rows = (await this.pglite.query<{ v: string }>('SELECT version() AS v')).rows;
    return rows[0]?.v ?? 'unknown';
  }

  /** syncfs(2) of the data directory's file system, through coreutils' `sync -f`. */
  private async syncFileSystem(): Promise<void> {
    if (this.syncUnavailable) return;
    try {
      await execFileAsync('sync', ['-f', this.location]);
    } catch (err) {
      // Without it the embedded database is as durable as before; say so once instead of stalling.
      this.syncUnavailable = true;
      log.warn({ err: (err as Error).message, dir: this.location }, 'cannot sync the embedded database to disk (`sync -f`); a power cut may lose its latest writes');
    }
  }

  async close(): Promise<void> {
    try {
      await this.db.destroy();
      await this.pglite.close();
    } finally {
      this.releaseLock();
    }
  }
}

/**
 * PGlite's WebAssembly memory only grows. PostgreSQL's default 128 MB buffer pool lives in it and
 * fills as the tables grow, while the files are in the OS page cache anyway: with 32 MB a collector
 * taking a burst peaked 130 MB lower for about 4% fewer records/s (16 MB saved nothing more).
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

/**
 * Makes a new cluster (initdb) in a child process. Done in-process, initdb's peak of about 600 MB
 * of WebAssembly memory would stay resident for the life of the server that created its database.
 */
async function createPGliteCluster(pgdata: string): Promise<void> {
  if (existsSync(pgdata) && readdirSync(pgdata).length > 0) return; // made before
  // Made aside and renamed into place, so that a start cut off half-way leaves no half a database.
  const partial = `${pgdata}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  const module = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = 'const { PGlite } = require(process.argv[1]); const db = new PGlite(process.argv[2]); db.waitReady.then(() => db.close())';
  try {
    await execFileAsync(process.execPath, ['-e', script, module, partial], { maxBuffer: 1024 * 1024 });
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-3).join(' ');
    throw new Error(`creating the database failed: ${stderr || (err as Error).message}`);
  }
  renameSync(partial, pgdata);
}

async function openPGlite(dir: string, purpose: string): Promise<Database> {
  const location = resolve(dir);
  try {
    mkdirSync(location, { recursive: true });
  } catch (err) {
    throw new CalltrailError('FILE_UNREADABLE', `data directory ${location}: ${(err as Error).message}`);
  }
  const release = lockDataDir(location, purpose);
  try {
    const pgdata = join(location, 'pgdata');
    await createPGliteCluster(pgdata);
    const pglite = new PGlite(pgdata, { startParams: PGLITE_START_PARAMS });
    await pglite.waitReady;
    return new PGliteDatabase(pglite, location, release);
  } catch (err) {
    release();
    throw new CalltrailError('DATABASE_UNREACHABLE', `cannot open the embedded database in ${location}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

// ---------------------------------------------------------------- PostgreSQL

// bigint and numeric come back as strings; timestamps as Date (node-postgres defaults).

class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const;
  readonly db: Kysely<Schema>;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {
    this.db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: Tx = {
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, params as unknown[])).rows as R[],
        run: async <R>(q: CompiledQuery<R>) => (await client.query(q.sql, q.parameters as unknown[])).rows as R[],
        exec: async (sql) => {
          await client.query(sql);
        },
        copyFrom: (table, columns, data) =>
          new Promise<void>((done, fail) => {
            const stream = client.query(copyFromStdin(copySql(table, columns, data, 'STDIN')));
            stream.on('error', fail);
            stream.on('finish', () => done());
            stream.end(data);
          }),
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async serverVersion(): Promise<string> {
    const { rows } = await this.pool.query<{ v: string }>('SELECT version() AS v');
    return rows[0]?.v ?? 'unknown';
  }

  async sync(): Promise<void> {
    // A commit is durable here (synchronous_commit).
  }

  async close(): Promise<void> {
    await this.db.destroy();
    // Kysely ends the pool only when it ran a query itself; commands that used transaction() alone
    // would otherwise wait for the pool's idle timeout before exiting.
    if (!this.pool.ended) await this.pool.end();
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

async function openPostgres(url: string): Promise<Database> {
  const location = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined); // an idle client's error surfaces on the next query instead
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new CalltrailError('DATABASE_UNREACHABLE', `cannot connect to ${location}: ${(err as Error).message}`, undefined, { cause: err });
  }
  return new PostgresDatabase(pool, location);
}

/** Opens PostgreSQL when a URL is given, else the embedded PGlite database in the data directory. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url);
  return openPGlite(options.data ?? './data', options.purpose ?? 'calltrail');
}

// ---------------------------------------------------------------- COPY text format

/** One value in COPY's text format: NULL as \N, backslash, tab and line breaks escaped. */
export function copyValue(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  // eslint-disable-next-line no-control-regex
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

export function copyRow(values: readonly (string | number | boolean | null | undefined)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i ? '\t' : '') + copyValue(values[i]);
  return line + '\n';
}
