import type { Command } from 'commander';
import { CalltrailError } from '../core/errors.js';
import { loadPlanFile } from '../rating/load.js';
import { instantOf } from '../rating/plan.js';
import { rateCall } from '../rating/rate.js';

interface RateFlags {
  plan: string;
  number: string;
  seconds: string;
  at: string;
  explain?: boolean;
}

/** Prints one JSON object: the cost and how it was found. Exit 0 when rated, 1 when the plan has no rate for the call. */
export function runRate(flags: RateFlags): void {
  const number = flags.number.replace(/[\s().-]/g, '').replace(/^\+/, '');
  if (!/^\d{1,20}$/.test(number)) throw new CalltrailError('USAGE', `--number: "${flags.number}" is not a phone number (E.164 digits, e.g. 447911123456)`);
  if (!/^\d{1,9}$/.test(flags.seconds)) throw new CalltrailError('USAGE', `--seconds: "${flags.seconds}" is not a whole number of seconds`);
  if (instantOf(flags.at) === null) throw new CalltrailError('USAGE', `--at: "${flags.at}" is not an ISO-8601 time with offset (e.g. 2026-03-02T09:00:00+00:00)`);
  const plan = loadPlanFile(flags.plan);
  const result = rateCall(plan, { number, seconds: Number(flags.seconds), at: flags.at }, { explain: flags.explain === true });
  process.stdout.write(JSON.stringify({ number, seconds: Number(flags.seconds), at: flags.at, ...result }) + '\n');
  if (!result.rated) process.exitCode = 1;
}

export function registerRate(program: Command): void {
  program
    .command('rate')
    .description('rate one call on a rate plan and print its cost as JSON')
    .requiredOption('--plan <file>', 'the rate plan: a .csv, .yaml or .json file')
    .requiredOption('--number <digits>', 'the called number, E.164 (e.g. 447911123456 or +44 7911 123456)')
    .requiredOption('--seconds <n>', 'billable seconds')
    .requiredOption('--at <iso>', 'when the call started, ISO-8601 with offset')
    .option('--explain', 'add the steps of the computation')
    .action((flags: RateFlags) => runRate(flags));
}
