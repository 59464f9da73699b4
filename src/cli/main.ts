import { Command, CommanderError } from 'commander';
import { registerClassify } from './classify.js';
import { registerCollect } from './collect.js';
import { reportError } from './common.js';
import { registerConfig } from './config.js';
import { registerDestinations } from './destinations.js';
import { registerDirectory } from './directory.js';
import { registerExport } from './export.js';
import { registerFormat } from './format.js';
import { registerImport } from './import.js';
import { registerLists } from './lists.js';
import { registerMigrate } from './migrate.js';
import { registerParse } from './parse.js';
import { registerPlans } from './plans.js';
import { registerRate } from './rate.js';
import { registerRebill } from './rebill.js';
import { registerReprocess } from './reprocess.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { VERSION } from './version.js';

const program = new Command('calltrail')
  .description('Call accounting and CDR analytics: collect, parse, store and report call records.')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerServe(program);
registerCollect(program);
registerParse(program);
registerImport(program);
registerExport(program);
registerReprocess(program);
registerMigrate(program);
registerSimulate(program);
registerConfig(program);
registerFormat(program);
registerClassify(program);
registerRate(program);
registerPlans(program);
registerDestinations(program);
registerDirectory(program);
registerLists(program);
registerRebill(program);
program.commands.forEach((c) => c.exitOverride());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here with code 0; usage errors with 2.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(err);
  }
}
