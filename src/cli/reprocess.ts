import type { Command } from 'commander';
import { CalltrailError } from '../core/errors.js';
import { reprocessSwitch } from '../pipeline/reprocess.js';
import { Pricing } from '../pipeline/pricing.js';
import { runtimeOf, syncSwitches } from '../pipeline/switches.js';
import { ALL_TENANTS } from '../store/scope.js';
import { SwitchesRepository } from '../store/switches-repository.js';
import { loadConfigFrom, parseDateOption, withStore, type StoreFlags } from './common.js';

interface ReprocessFlags extends StoreFlags {
  switch?: string;
  from?: Date;
  to?: Date;
  failedOnly?: boolean;
}

export function registerReprocess(program: Command): void {
  program
    .command('reprocess')
    .description('re-parse journaled records and replace the calls they made (after a parser or settings fix)')
    .option('--switch <name>', 'only this switch')
    .option('--from <date>', 'records received at or after this date/time', parseDateOption)
    .option('--to <date>', 'records received before this date/time', parseDateOption)
    .option('--failed-only', 'only records that failed to parse')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (flags: ReprocessFlags) => {
      const loaded = loadConfigFrom(flags);
      await withStore(loaded, 'calltrail reprocess', async (database) => {
        // Reprocessed calls are priced as new ones are.
        const pricing = await Pricing.load(database);
        const configured = pricing.attachTo(await syncSwitches(database, loaded.config, { configFile: loaded.file }));
        const rows = await new SwitchesRepository(database).list(ALL_TENANTS);
        const targets = flags.switch ? rows.filter((r) => r.name === flags.switch) : rows;
        if (flags.switch && targets.length === 0) throw new CalltrailError('SWITCH_UNKNOWN', `--switch: no switch named "${flags.switch}"`);
        for (const row of targets) {
          const sw = configured.get(row.name) ?? { ...runtimeOf(row), pricing };
          const r = await reprocessSwitch(database, sw, { from: flags.from, to: flags.to, failedOnly: flags.failedOnly ?? false });
          process.stdout.write(
            `${row.name}: records ${r.records}, calls removed ${r.removed}, calls stored ${r.inserted}, duplicates ${r.duplicates}, failed ${r.failed}\n`,
          );
        }
      });
    });
}
