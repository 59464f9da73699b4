import type { Command } from 'commander';
import { CalltrailError } from '../core/errors.js';
import { exportPlanCsv } from '../rating/csv.js';
import { loadPlanFile } from '../rating/load.js';
import { parsePlan, PLAN_KINDS, type RatePlan } from '../rating/plan.js';
import { RatingRepository } from '../store/rating-repository.js';
import { ALL_TENANTS } from '../store/scope.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';

interface PlanImportFlags extends StoreFlags {
  id?: string;
  name?: string;
  kind?: string;
  tenant?: string;
  carrier?: string;
  trunks?: string;
}

/** The plan in the file with the fields given on the command line put over it, validated again as a whole. */
export function planWithOverrides(plan: RatePlan, flags: PlanImportFlags, source: string): RatePlan {
  if (flags.kind !== undefined && !(PLAN_KINDS as readonly string[]).includes(flags.kind)) {
    throw new CalltrailError('USAGE', `--kind: "${flags.kind}" must be ${PLAN_KINDS.join(' or ')}`);
  }
  const overridden = {
    ...plan,
    ...(flags.id !== undefined ? { id: flags.id } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.kind !== undefined ? { kind: flags.kind } : {}),
    ...(flags.tenant !== undefined ? { tenant: flags.tenant || null } : {}),
    ...(flags.carrier !== undefined ? { carrier: flags.carrier || null } : {}),
    ...(flags.trunks !== undefined ? { trunks: flags.trunks.split(',').map((t) => t.trim()).filter((t) => t !== '') } : {}),
  };
  return parsePlan(overridden, source);
}

const storeOptions = (c: Command): Command =>
  c.option('--config <file>', 'configuration file').option('--data <dir>', 'embedded database directory').option('--database <url>', 'PostgreSQL URL');

export function registerPlans(program: Command): void {
  const plans = program.command('plans').description('rate plans in the store: import, list, export');

  storeOptions(
    plans
      .command('import')
      .description('store a rate plan (.csv, .yaml or .json); a plan with the same id is replaced')
      .argument('<file>', 'the plan file')
      .option('--id <id>', "the plan's id (default: the file's)")
      .option('--name <name>', "the plan's name (default: the file's)")
      .option('--kind <kind>', 'sell (retail, per tenant) or buy (carrier)')
      .option('--tenant <id>', 'sell plans: the tenant it prices (empty: every tenant)')
      .option('--carrier <name>', 'buy plans: the carrier')
      .option('--trunks <list>', 'buy plans: the trunks it prices, comma-separated'),
  ).action(async (file: string, flags: PlanImportFlags) => {
    const plan = planWithOverrides(loadPlanFile(file), flags, file);
    const loaded = loadConfigFrom(flags);
    await withStore(loaded, 'calltrail plans import', (database) => new RatingRepository(database).savePlan(plan));
    const owner = plan.kind === 'sell' ? `tenant ${plan.tenant ?? '(every tenant)'}` : `carrier ${plan.carrier}${plan.trunks.length ? `, trunks ${plan.trunks.join(',')}` : ''}`;
    process.stdout.write(`imported ${plan.kind} plan ${plan.id} (${plan.name}, ${owner}, ${plan.currency}, ${plan.rates.length} rates)\n`);
  });

  storeOptions(plans.command('list').description('list the stored plans, one JSON object a line')).action(async (flags: StoreFlags) => {
    const loaded = loadConfigFrom(flags);
    const rows = await withStore(loaded, 'calltrail plans list', (database) => new RatingRepository(database).listPlans(ALL_TENANTS));
    for (const r of rows) process.stdout.write(JSON.stringify({ ...r, updatedAt: r.updatedAt.toISOString() }) + '\n');
  });

  storeOptions(plans.command('export').description("print a stored plan as CSV (the import format)").argument('<id>', "the plan's id")).action(
    async (id: string, flags: StoreFlags) => {
      const loaded = loadConfigFrom(flags);
      const plan = await withStore(loaded, 'calltrail plans export', (database) => new RatingRepository(database).getPlan(ALL_TENANTS, id));
      if (!plan) throw new CalltrailError('NOT_FOUND', `no rate plan with id "${id}" (see calltrail plans list)`);
      process.stdout.write(exportPlanCsv(plan));
    },
  );
}
