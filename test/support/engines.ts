import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createScratchDatabase } from '../../src/store/scratch-database.js';

// Every store test runs on each engine: PGlite always, PostgreSQL when CALLTRAIL_TEST_DATABASE_URL
// points at a server (scripts/test-postgres.sh starts one; .ci/run does).

export const POSTGRES_URL = process.env.CALLTRAIL_TEST_DATABASE_URL;

export interface TestStore {
  database: Database;
  /** What to pass to the CLI to reach the same store. */
  cliArgs: string[];
  cleanup(): Promise<void>;
}

export interface EngineUnderTest {
  name: 'pglite' | 'postgres';
  available: boolean;
  /** A fresh, migrated, empty store. */
  create(): Promise<TestStore>;
  /** A fresh store location, not opened (for CLI tests that open it themselves). */
  location(): Promise<{ cliArgs: string[]; url?: string; dir?: string; cleanup(): Promise<void> }>;
}

export const pgliteEngine: EngineUnderTest = {
  name: 'pglite',
  available: true,
  async location() {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-test-'));
    return { cliArgs: ['--data', dir], dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  async create() {
    const loc = await this.location();
    const database = await openDatabase({ data: loc.dir, purpose: 'test' });
    await migrate(database);
    return {
      database,
      cliArgs: loc.cliArgs,
      async cleanup() {
        await database.close();
        await loc.cleanup();
      },
    };
  },
};

export const postgresEngine: EngineUnderTest = {
  name: 'postgres',
  available: Boolean(POSTGRES_URL),
  async location() {
    const fresh = await createScratchDatabase(POSTGRES_URL!, 'ct_test');
    return { cliArgs: ['--database', fresh.url], url: fresh.url, cleanup: fresh.drop };
  },
  async create() {
    const loc = await this.location();
    const database = await openDatabase({ url: loc.url });
    await migrate(database);
    return {
      database,
      cliArgs: loc.cliArgs,
      async cleanup() {
        await database.close();
        await loc.cleanup();
      },
    };
  },
};

export const ENGINES: EngineUnderTest[] = [pgliteEngine, postgresEngine];

export const POSTGRES_SKIP_NOTE =
  'PostgreSQL tests skipped: no server configured. Start one with `eval "$(scripts/test-postgres.sh start)"` ' +
  '(needs Debian postgresql-15) or set CALLTRAIL_TEST_DATABASE_URL=postgres://user@127.0.0.1:5432/postgres';
