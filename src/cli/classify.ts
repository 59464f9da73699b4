import type { Command } from 'commander';
import { dialPlanSchema, type DialPlan } from '../config/schema.js';
import { DIRECTIONS, type Direction } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { classifyNumber } from '../numbers/classify.js';
import { isSupportedCountry } from '../numbers/metadata.js';

interface ClassifyFlags {
  country: string;
  outsideLine?: string[];
  areaCode?: string;
  direction?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `calltrail classify NUMBER --country CC`: one JSON object {e164, country, type, …} on stdout. */
export function runClassify(number: string, flags: ClassifyFlags): void {
  const plan = dialPlanSchema.safeParse({
    country: flags.country.toUpperCase(),
    ...(flags.outsideLine ? { outsideLine: flags.outsideLine } : {}),
    ...(flags.areaCode !== undefined ? { areaCode: flags.areaCode } : {}),
  });
  if (!plan.success) {
    const issue = plan.error.issues[0]!;
    const option = { country: '--country', outsideLine: '--outside-line', areaCode: '--area-code' }[String(issue.path[0])] ?? String(issue.path[0]);
    throw new CalltrailError('USAGE', `${option}: ${issue.message}`);
  }
  if (!isSupportedCountry(plan.data.country!)) throw new CalltrailError('USAGE', `--country: libphonenumber-js has no numbering plan for "${plan.data.country}"`);
  if (flags.direction !== undefined && !(DIRECTIONS as readonly string[]).includes(flags.direction)) {
    throw new CalltrailError('USAGE', `--direction: expected one of ${DIRECTIONS.join(', ')}`);
  }
  const result = classifyNumber(number, plan.data as DialPlan, flags.direction as Direction | undefined);
  process.stdout.write(JSON.stringify(result) + '\n');
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify a dialled number under a dial plan and print {e164, country, type, …} as JSON')
    .argument('<number>', 'the number as dialled')
    .requiredOption('--country <CC>', "the switch's country (ISO 3166 code, e.g. GB)")
    .option('--outside-line <digits>', 'outside-line access code (repeat for several)', collect)
    .option('--area-code <digits>', "the switch's area code, to tell local from national calls")
    .option('--direction <direction>', 'inbound numbers keep their outside-line digit', undefined)
    .action((number: string, flags: ClassifyFlags) => runClassify(number, flags));
}
