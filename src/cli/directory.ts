import type { Command } from 'commander';
import { parseDirectoryCsv } from '../directory/directory.js';
import { RatingRepository } from '../store/rating-repository.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';
import { readDataFile } from './data-files.js';

interface DirectoryFlags extends StoreFlags {
  tenant: string;
}

export function registerDirectory(program: Command): void {
  const directory = program.command('directory').description('who extensions belong to: people, departments, cost centres');
  directory
    .command('import')
    .description("replace a tenant's directory with a CSV: extension,person,department,cost_centre,valid_from,valid_to")
    .argument('<file>', 'the directory CSV (every period of every extension)')
    .option('--tenant <id>', 'the tenant', 'default')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (file: string, flags: DirectoryFlags) => {
      const entries = parseDirectoryCsv(readDataFile(file, 'directory file'), file).entries();
      const loaded = loadConfigFrom(flags);
      await withStore(loaded, 'calltrail directory import', (database) => new RatingRepository(database).replaceDirectory(flags.tenant, entries));
      process.stdout.write(`imported ${entries.length} directory entries for tenant ${flags.tenant}\n`);
    });
}
