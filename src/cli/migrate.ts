import type { Command } from 'commander';
import { openDatabase } from '../store/database.js';
import { currentVersion, migrate } from '../store/migrate.js';
import { loadConfigFrom, type StoreFlags } from './common.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (serve and the other commands do it at start-up too)')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (flags: StoreFlags) => {
      const { config } = loadConfigFrom(flags);
      const database = await openDatabase({ data: config.data, url: config.database, purpose: 'calltrail migrate' });
      try {
        const applied = await migrate(database);
        const version = await currentVersion(database);
        process.stdout.write(`${database.engine} ${database.location}: ${applied.length ? `applied ${applied.join(', ')}; ` : ''}at migration ${version}\n`);
      } finally {
        await database.close();
      }
    });
}
