// Rate plans as CSV: one file holds a whole plan, and export → import gives back the same plan.
//
// The header is fixed (HEADER below). The first column says what a row is:
//   plan,<field>,<value>          one row per plan field: id, name, kind (sell|buy), currency
//                                 (ISO 4217), time_zone (IANA), tenant, carrier, trunks (T1;T2)
//   period,<name>,<windows>       a named period; windows separated by ';', each
//                                 "<days> [HH:MM-HH:MM]": "mon-fri 08:00-18:00; sat,sun"; "holidays"
//   holiday,<YYYY-MM-DD>,<name>   a date on which holiday windows apply
//   rate,,,<prefix>,<destination>,<effective_from>,<period>,<from_second>,<rate>,<unit_seconds>,
//        <increment_seconds>,<connect_fee>,<minimum_charge>,<max_cost>,<rounding>,<decimals>
//                                 one row per prefix × effective date × period × interval: from
//                                 from_second on, charge increment_seconds at a time, at `rate` per
//                                 unit_seconds. Rows of one tariff (prefix, effective_from, period)
//                                 repeat the same destination, connect_fee, minimum_charge, max_cost
//                                 (empty: no cap), rounding (up|down|half-up|half-even) and decimals.
// plan, period and holiday rows may stop after their value. Row numbers in errors are line numbers
// (the header is row 1). Rows are checked one by one first (syntax, columns, rows of one tariff that
// disagree); only a file without such problems is checked as a plan (values, gaps, overlaps), so a
// skipped row never shows up as a misleading gap.

import { splitCsv, csvField } from '../framing/csv.js';
import {
  PLAN_KINDS,
  ROUNDING_METHODS,
  planInvalid,
  ratePlanSchema,
  validatePlan,
  type PlanKind,
  type PlanLocation,
  type PlanProblem,
  type RatePlan,
  type RatePlanInput,
  type RoundingMethod,
} from './plan.js';

export const HEADER = [
  'type',
  'name',
  'value',
  'prefix',
  'destination',
  'effective_from',
  'period',
  'from_second',
  'rate',
  'unit_seconds',
  'increment_seconds',
  'connect_fee',
  'minimum_charge',
  'max_cost',
  'rounding',
  'decimals',
] as const;

const PLAN_FIELDS = ['id', 'name', 'kind', 'currency', 'time_zone', 'tenant', 'carrier', 'trunks'] as const;
type PlanField = (typeof PLAN_FIELDS)[number];

/** Writes a plan as CSV text (LF line ends, a final newline). */
export function exportPlanCsv(plan: RatePlan): string {
  const lines: string[] = [HEADER.join(',')];
  const row = (...fields: (string | number | null)[]): void => {
    lines.push(fields.map((f) => csvField(f)).join(','));
  };
  row('plan', 'id', plan.id);
  row('plan', 'name', plan.name);
  row('plan', 'kind', plan.kind);
  row('plan', 'currency', plan.currency);
  row('plan', 'time_zone', plan.timeZone);
  if (plan.tenant !== null) row('plan', 'tenant', plan.tenant);
  if (plan.carrier !== null) row('plan', 'carrier', plan.carrier);
  if (plan.trunks.length > 0) row('plan', 'trunks', plan.trunks.join(';'));
  for (const p of plan.periods) row('period', p.name, p.when.join('; '));
  for (const h of plan.holidays) row('holiday', h.date, h.name);
  for (const r of plan.rates) {
    for (const t of r.tariffs) {
      for (const i of t.increments) {
        row('rate', null, null, r.prefix, r.destination, r.effectiveFrom, t.period, i.fromSecond, i.rate, i.unitSeconds, i.incrementSeconds, t.connectFee, t.minimumCharge, t.maxCost, t.rounding, t.decimals);
      }
    }
  }
  return lines.join('\n') + '\n';
}

interface TariffRows {
  first: number;
  increments: number[];
}

/** Reads a plan from CSV text; throws CONFIG_INVALID listing every problem by row number. */
export function importPlanCsv(text: string, source = 'CSV'): RatePlan {
  const problems: PlanProblem[] = [];
  const fail = (row: number | string, message: string): void => {
    problems.push({ path: typeof row === 'number' ? `row ${row}` : row, message });
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const header = lines[0] === undefined ? null : splitCsv(lines[0]);
  if (!header || !header.ok || header.fields.join(',') !== HEADER.join(',')) {
    throw planInvalid(source, [{ path: 'row 1', message: `the header must be: ${HEADER.join(',')}` }]);
  }

  const planRows = new Map<PlanField, number>();
  const planValues = new Map<PlanField, string>();
  const periods: { name: string; when: string[] }[] = [];
  const periodRows: number[] = [];
  const holidays: { date: string; name: string | null }[] = [];
  const holidayRows: number[] = [];
  const rates: { prefix: string; destination: string | null; effectiveFrom: string | null; tariffs: RatePlanInput['rates'][number]['tariffs'] }[] = [];
  const rateRows: { first: number; tariffs: TariffRows[] }[] = [];
  const entryIndex = new Map<string, number>();
  const intervalRows = new Map<string, number>();

  for (let i = 1; i < lines.length; i++) {
    const rowNo = i + 1;
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const split = splitCsv(line);
    if (!split.ok) {
      fail(rowNo, split.error);
      continue;
    }
    const f = split.fields;
    if (f.length > HEADER.length) {
      fail(rowNo, `${f.length} columns; the header has ${HEADER.length}`);
      continue;
    }
    const type = f[0]!;
    if (type === 'plan' || type === 'period' || type === 'holiday') {
      if (f.length < 3) {
        fail(rowNo, `a ${type} row needs a name and a value`);
        continue;
      }
      if (f.slice(3).some((v) => v !== '')) {
        fail(rowNo, `a ${type} row has only a name and a value; the rate columns must be empty`);
        continue;
      }
      const name = f[1]!;
      const value = f[2]!;
      if (type === 'plan') {
        if (!(PLAN_FIELDS as readonly string[]).includes(name)) {
          fail(rowNo, `unknown plan field "${name}" (known: ${PLAN_FIELDS.join(', ')})`);
        } else if (planRows.has(name as PlanField)) {
          fail(rowNo, `plan field "${name}" is already given at row ${planRows.get(name as PlanField)}`);
        } else {
          planRows.set(name as PlanField, rowNo);
          planValues.set(name as PlanField, value);
        }
      } else if (type === 'period') {
        periods.push({ name, when: value.split(';').map((w) => w.trim()) });
        periodRows.push(rowNo);
      } else {
        holidays.push({ date: name, name: value === '' ? null : value });
        holidayRows.push(rowNo);
      }
      continue;
    }
    if (type !== 'rate') {
      fail(rowNo, `unknown row type "${type}" (plan, period, holiday or rate)`);
      continue;
    }
    if (f.length !== HEADER.length) {
      fail(rowNo, `a rate row has ${HEADER.length} columns; this one has ${f.length}`);
      continue;
    }
    const [, name, value, prefix, destination, effectiveFrom, period, fromSecond, rate, unitSeconds, incrementSeconds, connectFee, minimumCharge, maxCost, rounding, decimals] = f as string[] as [
      string, string, string, string, string, string, string, string, string, string, string, string, string, string, string, string,
    ];
    const before = problems.length;
    if (name !== '' || value !== '') fail(rowNo, 'a rate row leaves name and value empty');
    const whole = (column: string, text: string, max: number): number => {
      if (!/^\d{1,9}$/.test(text) || Number(text) > max) {
        fail(rowNo, `${column} "${text}" is not a whole number${max < Infinity ? ` from 0 to ${max}` : ''}`);
        return 0;
      }
      return Number(text);
    };
    const from = whole('from_second', fromSecond, Infinity);
    const unit = whole('unit_seconds', unitSeconds, Infinity);
    const step = whole('increment_seconds', incrementSeconds, Infinity);
    const places = whole('decimals', decimals, 9);
    if (unit === 0 && /^\d+$/.test(unitSeconds)) fail(rowNo, 'unit_seconds must be at least 1');
    if (step === 0 && /^\d+$/.test(incrementSeconds)) fail(rowNo, 'increment_seconds must be at least 1');
    if (!(ROUNDING_METHODS as readonly string[]).includes(rounding)) fail(rowNo, `rounding "${rounding}" is not one of ${ROUNDING_METHODS.join(', ')}`);
    if (period === '') fail(rowNo, 'period is empty (name a period row, e.g. any)');
    if (problems.length > before) continue;

    const effective = effectiveFrom === '' ? null : effectiveFrom;
    const entryKey = prefix + '@' + effectiveFrom;
    let r = entryIndex.get(entryKey);
    if (r === undefined) {
      r = rates.length;
      entryIndex.set(entryKey, r);
      rates.push({ prefix, destination: destination === '' ? null : destination, effectiveFrom: effective, tariffs: [] });
      rateRows.push({ first: rowNo, tariffs: [] });
    } else if ((rates[r]!.destination ?? '') !== destination) {
      fail(rowNo, `destination "${destination}" differs from "${rates[r]!.destination ?? ''}" at row ${rateRows[r]!.first} for prefix ${prefix}`);
      continue;
    }
    const entry = rates[r]!;
    const entryRows = rateRows[r]!;
    const tariffFields = { connectFee, minimumCharge, maxCost: maxCost === '' ? null : maxCost, rounding: rounding as RoundingMethod, decimals: places };
    let t = entry.tariffs.findIndex((x) => x.period === period);
    if (t < 0) {
      t = entry.tariffs.length;
      entry.tariffs.push({ period, ...tariffFields, increments: [] });
      entryRows.tariffs.push({ first: rowNo, increments: [] });
    } else {
      const tariff = entry.tariffs[t]!;
      const differs = (Object.keys(tariffFields) as (keyof typeof tariffFields)[]).filter((k) => tariff[k] !== tariffFields[k]);
      if (differs.length > 0) {
        const col = (k: string): string => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
        fail(rowNo, `${differs.map(col).join(', ')} ${differs.length > 1 ? 'differ' : 'differs'} from row ${entryRows.tariffs[t]!.first} (the same prefix ${prefix}, period ${period}${effective ? `, effective ${effective}` : ''})`);
        continue;
      }
    }
    const intervalKey = `${entryKey}@${period}@${from}`;
    const dup = intervalRows.get(intervalKey);
    if (dup !== undefined) {
      fail(rowNo, `prefix ${prefix}, period ${period}${effective ? `, effective ${effective}` : ''}, interval from ${from} s is already defined at row ${dup}`);
      continue;
    }
    intervalRows.set(intervalKey, rowNo);
    entry.tariffs[t]!.increments.push({ fromSecond: from, rate, unitSeconds: unit, incrementSeconds: step });
    entryRows.tariffs[t]!.increments.push(rowNo);
  }

  for (const field of ['id', 'name', 'kind', 'currency'] as const) {
    if (!planValues.has(field)) fail('(plan)', `no "plan,${field},…" row`);
  }
  const kind = planValues.get('kind');
  if (kind !== undefined && !(PLAN_KINDS as readonly string[]).includes(kind)) fail(planRows.get('kind')!, `kind "${kind}" is not sell or buy`);
  if (problems.length > 0) throw planInvalid(source, problems);

  const optional = (field: PlanField): string | null => {
    const v = planValues.get(field);
    return v === undefined || v === '' ? null : v;
  };
  const input: RatePlanInput = {
    id: planValues.get('id')!,
    name: planValues.get('name')!,
    kind: kind as PlanKind,
    currency: planValues.get('currency')!,
    timeZone: optional('time_zone') ?? 'UTC',
    tenant: optional('tenant'),
    carrier: optional('carrier'),
    trunks: optional('trunks')?.split(';') ?? [],
    holidays,
    periods: periods.length > 0 ? periods : undefined,
    rates,
  };
  const parsed = ratePlanSchema.safeParse(input);
  if (!parsed.success) {
    throw planInvalid(source, parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  const fieldRow = (field: string): string => {
    const name = field.replace(/\[\d+\]$/, '').replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()) as PlanField;
    const row = planRows.get(name);
    return row === undefined ? `plan ${name}` : `row ${row}`;
  };
  const locate = (at: PlanLocation): string => {
    if (at.period !== undefined) return `row ${periodRows[at.period]}`;
    if (at.holiday !== undefined) return `row ${holidayRows[at.holiday]}`;
    if (at.rate !== undefined) {
      const rows = rateRows[at.rate]!;
      if (at.tariff === undefined) return `row ${rows.first}`;
      const tariff = rows.tariffs[at.tariff]!;
      return `row ${at.increment === undefined ? tariff.first : tariff.increments[at.increment]}`;
    }
    return fieldRow(at.field ?? '');
  };
  const semantic = validatePlan(parsed.data, locate).map((p) => ({ ...p, message: csvWords(p.message) }));
  if (semantic.length > 0) throw planInvalid(source, semantic.sort((a, b) => rowOf(a.path) - rowOf(b.path)));
  return parsed.data;
}

function rowOf(path: string): number {
  const m = /^row (\d+)$/.exec(path);
  return m ? Number(m[1]) : 0;
}

/** The validator names model fields; in a CSV the user sees column names. */
function csvWords(message: string): string {
  return message.replace(/\b(connectFee|minimumCharge|maxCost|fromSecond|unitSeconds|incrementSeconds|effectiveFrom|timeZone)\b/g, (w) => w.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()));
}
