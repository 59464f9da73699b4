import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { loadSwitchFormats } from '../pipeline/switches.js';
import { printProblems } from './common.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate a configuration file and the format definitions it names: every problem listed with its path')
    .argument('<file>', 'the calltrail.yaml to check')
    .action((file: string) => {
      try {
        // The environment is left out: this checks the file as written.
        const { config: c } = loadConfig({ file, env: {} });
        // formatFile definitions and column orders, as a collector would load them at start.
        loadSwitchFormats(c, { configFile: file });
        const sources = c.switches.reduce((n, s) => n + s.sources.length, 0);
        process.stdout.write(`${file}: ok (${c.switches.length} switches, ${sources} sources, ${c.database ? 'PostgreSQL' : `embedded database in ${c.data ?? './data'}`})\n`);
      } catch (err) {
        if (!printProblems(file, err)) throw err;
      }
    });
}
