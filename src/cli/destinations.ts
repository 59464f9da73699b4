import type { Command } from 'commander';
import { parseDestinationsCsv } from '../numbers/destinations.js';
import { RatingRepository } from '../store/rating-repository.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';
import { readDataFile } from './data-files.js';

interface DestinationsFlags extends StoreFlags {
  tenant?: string;
}

export function registerDestinations(program: Command): void {
  const destinations = program.command('destinations').description('the prefix → destination-name table');
  destinations
    .command('import')
    .description('replace the destination table (global, or one tenant\'s) with a prefix,destination CSV')
    .argument('<file>', 'CSV with the columns prefix,destination')
    .option('--tenant <id>', "a tenant's own table (default: the global table)")
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (file: string, flags: DestinationsFlags) => {
      const rows = parseDestinationsCsv(readDataFile(file, 'destinations file'), file);
      const loaded = loadConfigFrom(flags);
      await withStore(loaded, 'calltrail destinations import', (database) => new RatingRepository(database).replaceDestinations(flags.tenant ?? null, rows));
      process.stdout.write(`imported ${rows.length} destinations${flags.tenant ? ` for tenant ${flags.tenant}` : ''}\n`);
    });
}
