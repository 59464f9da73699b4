import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CalltrailError } from '../core/errors.js';
import { logger } from '../core/log.js';
import type { Database } from './database.js';

// Numbered SQL files in ./migrations, applied in order at start-up, each in its own transaction.

const log = logger('migrate');
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_RE = /^(\d{3})-([a-z0-9-]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .map((file) => ({ file, m: FILE_RE.exec(file) }))
    .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
    .map(({ file, m }) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(`${dir}${file}`, 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/** The highest migration version the code knows. */
export function latestVersion(): number {
  return listMigrations().at(-1)?.version ?? 0;
}

export async function currentVersion(database: Database): Promise<number> {
  const rows = await database.transaction((tx) =>
    tx.query<{ v: number | null }>(
      `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
              ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END AS v`,
    ),
  );
  return Number(rows[0]?.v ?? 0);
}

/** Applies the migrations not applied yet; returns the versions applied. */
export async function migrate(database: Database): Promise<number[]> {
  await database.transaction((tx) =>
    tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`),
  );
  const applied: number[] = [];
  for (const migration of listMigrations()) {
    const done = await database.transaction(async (tx) => {
      // Serializes concurrent start-ups of several processes on one PostgreSQL.
      await tx.query('LOCK TABLE schema_migrations IN EXCLUSIVE MODE');
      const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (rows.length > 0) return false;
      try {
        await tx.exec(migration.sql);
      } catch (err) {
        throw new CalltrailError('MIGRATION_FAILED', `migration ${migration.version}-${migration.name}: ${(err as Error).message}`);
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (done) {
      applied.push(migration.version);
      log.info({ version: migration.version, name: migration.name }, 'migration applied');
    }
  }
  return applied;
}
