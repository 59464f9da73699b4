import type { Command } from 'commander';
import { parseListsCsv } from '../numbers/lists.js';
import { RatingRepository } from '../store/rating-repository.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';
import { readDataFile } from './data-files.js';

interface ListsFlags extends StoreFlags {
  tenant: string;
}

export function registerLists(program: Command): void {
  const lists = program.command('lists').description('blacklist and whitelist of prefixes and countries, per tenant');
  lists
    .command('import')
    .description("replace a tenant's lists with a CSV: list,type,value[,label]")
    .argument('<file>', 'the lists CSV (list: blacklist|whitelist, type: prefix|country)')
    .option('--tenant <id>', 'the tenant', 'default')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (file: string, flags: ListsFlags) => {
      const rules = parseListsCsv(readDataFile(file, 'lists file'), file);
      const loaded = loadConfigFrom(flags);
      await withStore(loaded, 'calltrail lists import', (database) => new RatingRepository(database).replaceLists(flags.tenant, rules));
      process.stdout.write(`imported ${rules.length} list rules for tenant ${flags.tenant}\n`);
    });
}
