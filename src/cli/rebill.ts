import type { Command } from 'commander';
import { CalltrailError } from '../core/errors.js';
import { Pricing } from '../pipeline/pricing.js';
import { rebill } from '../pipeline/rebill.js';
import { ALL_TENANTS } from '../store/scope.js';
import { SwitchesRepository } from '../store/switches-repository.js';
import { loadConfigFrom, parseDateOption, withStore, type StoreFlags } from './common.js';

interface RebillFlags extends StoreFlags {
  from: Date;
  to: Date;
  switch?: string;
}

export function registerRebill(program: Command): void {
  program
    .command('rebill')
    .description('re-rate stored calls with the plans, directory and lists in the store now; costs and rollups change together')
    .requiredOption('--from <date>', 'calls started at or after this date/time', parseDateOption)
    .requiredOption('--to <date>', 'calls started before this date/time', parseDateOption)
    .option('--switch <name>', 'only this switch')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (flags: RebillFlags) => {
      if (flags.to.getTime() <= flags.from.getTime()) throw new CalltrailError('USAGE', `--to ${flags.to.toISOString()} is not after --from ${flags.from.toISOString()}`);
      const loaded = loadConfigFrom(flags);
      const result = await withStore(loaded, 'calltrail rebill', async (database) => {
        if (flags.switch !== undefined && !(await new SwitchesRepository(database).findByName(ALL_TENANTS, flags.switch))) {
          throw new CalltrailError('SWITCH_UNKNOWN', `--switch: no switch named "${flags.switch}"`);
        }
        const pricing = await Pricing.load(database);
        return rebill(database, pricing, { from: flags.from, to: flags.to, switchName: flags.switch });
      });
      // "cost" as the issue says it: what the call came to, on the buy or the sell side.
      process.stdout.write(`rebilled ${result.calls} calls, cost changed on ${result.moneyChanged}\n`);
    });
}
