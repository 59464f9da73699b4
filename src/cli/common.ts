import { InvalidArgumentError } from 'commander';
import { loadConfig, type CliOverrides, type LoadedConfig } from '../config/load.js';
import { CalltrailError, ERROR_CODES } from '../core/errors.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';

export interface StoreFlags {
  config?: string;
  data?: string;
  database?: string;
}

export function loadConfigFrom(flags: StoreFlags & { port?: number }): LoadedConfig {
  const cli: CliOverrides = { data: flags.data, database: flags.database, port: flags.port };
  return loadConfig({ file: flags.config, cli });
}

/** Opens the configured store, applies pending migrations, runs fn, and closes the store. */
export async function withStore<T>(loaded: LoadedConfig, purpose: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ data: loaded.config.data, url: loaded.config.database, purpose });
  try {
    await migrate(database);
    return await fn(database);
  } finally {
    await database.close();
  }
}

export function parseDateOption(value: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(value + 'T00:00:00Z') : Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not a date (YYYY-MM-DD or ISO-8601)`);
  return new Date(ms);
}

export function parsePortOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port number`);
  return n;
}

/** Prints an error the way every command does, and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CalltrailError) {
    process.stderr.write(`calltrail: ${err.message}\n`);
    if (err.code === 'CONFIG_INVALID' && Array.isArray(err.details)) {
      for (const p of err.details as { path: string; message: string }[]) process.stderr.write(`  ${p.path}: ${p.message}\n`);
    }
    return err.code === 'USAGE' || err.code === 'CONFIG_INVALID' ? 2 : 1;
  }
  process.stderr.write(`calltrail: ${ERROR_CODES.INTERNAL}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/** Prints a CONFIG_INVALID error's problems one per line under the file's name and sets exit code 1; false for any other error. */
export function printProblems(file: string, err: unknown): boolean {
  if (!(err instanceof CalltrailError) || err.code !== 'CONFIG_INVALID') return false;
  const problems = (err.details ?? []) as { path: string; message: string }[];
  for (const p of problems) process.stdout.write(`${file}: ${p.path}: ${p.message}\n`);
  process.stdout.write(`${problems.length} problem(s)\n`);
  process.exitCode = 1;
  return true;
}
