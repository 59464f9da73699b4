import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialPlan } from '../src/config/schema.js';
import { getFormat } from '../src/formats/registry.js';
import { Ingestor, type SwitchRuntime } from '../src/pipeline/ingest.js';
import { Pricing } from '../src/pipeline/pricing.js';
import { rebill } from '../src/pipeline/rebill.js';
import { HEADER, exportPlanCsv, importPlanCsv } from '../src/rating/csv.js';
import { parsePlan, type RatePlanInput } from '../src/rating/plan.js';
import type { Database } from '../src/store/database.js';
import { RatingRepository } from '../src/store/rating-repository.js';
import { SwitchesRepository } from '../src/store/switches-repository.js';
import { runCli, type CliResult } from './support/cli.js';
import { ENGINES, type TestStore } from './support/engines.js';

// Rating in the store: calls priced as they land (sell plan per tenant, buy plan per trunk),
// annotated from the directory and the number lists, and rebilled after a plan changes, with the
// hourly rollups moving by exactly the same amounts. Every expected amount is worked out by hand
// beside it. Money is stored in nano-units (10⁻⁹ GBP).

const GB: DialPlan = { country: 'GB' } as DialPlan;

/** One Asterisk Master.csv line: an outbound call from an extension over trunk01. */
function line(id: string, ext: string, dst: string, start: string, billsec: number, disposition = 'ANSWERED'): string {
  return `"","${ext}","${dst}","from-internal","""Caller"" <${ext}>","PJSIP/${ext}-00000001","PJSIP/trunk01-00000002","Dial","PJSIP/${dst}@trunk01,60,Tt","${start}","${billsec ? start : ''}","${start}",${billsec + 5},${billsec},"${disposition}","DOCUMENTATION","${id}","","","${id}",1`;
}

const CALLS = [
  line('1.1', '201', '02079460123', '2026-03-02 09:15:00', 61), // UK fixed, 61 s
  line('1.2', '201', '07400123456', '2026-03-10 14:00:00', 30), // UK mobile, 30 s
  line('1.3', '201', '02079460123', '2026-03-16 10:00:00', 125), // UK fixed, 125 s (201 has moved to Marketing)
  line('1.4', '202', '07400123456', '2026-03-20 11:00:00', 0, 'NO ANSWER'), // not answered
  line('1.5', '201', '07400123456', '2026-03-31 23:30:00', 600), // UK mobile, 600 s
  line('1.6', '202', '09098790000', '2026-03-05 08:00:00', 60), // premium 4490…: blacklisted
  line('1.7', '202', 'ABC#', '2026-03-06 08:00:00', 61), // cannot be classified
  line('1.8', '201', '02079460123', '2026-04-01 00:10:00', 60), // the next month: not rebilled
];

function sellPlan(fixedPerMinute: string, mobilePerMinute: string): RatePlanInput {
  return {
    id: 'retail',
    name: 'Retail',
    kind: 'sell',
    currency: 'GBP',
    tenant: 'default',
    rates: [
      // whole minutes, 2 decimals rounded up
      { prefix: '44', destination: 'United Kingdom', tariffs: [{ rounding: 'up', decimals: 2, increments: [{ fromSecond: 0, rate: fixedPerMinute, unitSeconds: 60, incrementSeconds: 60 }] }] },
      // per second, 4 decimals rounded up
      { prefix: '447', destination: 'United Kingdom - Mobile', tariffs: [{ rounding: 'up', decimals: 4, increments: [{ fromSecond: 0, rate: mobilePerMinute, unitSeconds: 60, incrementSeconds: 1 }] }] },
    ],
  };
}

const BUY: RatePlanInput = {
  id: 'bt',
  name: 'BT wholesale',
  kind: 'buy',
  currency: 'GBP',
  carrier: 'BT',
  trunks: ['trunk01'],
  // 0.06 a minute per second = 0.001 a second, 3 decimals
  rates: [{ prefix: '44', destination: 'United Kingdom', tariffs: [{ rounding: 'up', decimals: 3, increments: [{ fromSecond: 0, rate: '0.06', unitSeconds: 60, incrementSeconds: 1 }] }] }],
};

const DIRECTORY = [
  { extension: '201', person: 'Alice', department: 'Sales', costCentre: 'CC-100', validFrom: null, validTo: '2026-03-15' },
  { extension: '201', person: 'Alice', department: 'Marketing', costCentre: 'CC-200', validFrom: '2026-03-16', validTo: null },
  { extension: '202', person: 'Bob', department: 'Support', costCentre: 'CC-300', validFrom: null, validTo: null },
];

async function makeSwitch(database: Database, name: string): Promise<SwitchRuntime> {
  const row = await new SwitchesRepository(database).upsert({ name, tenant: 'default', format: 'asterisk-csv', timezone: 'UTC', dialPlan: GB });
  return { row, format: getFormat('asterisk-csv'), dialPlan: GB };
}

async function ingest(database: Database, sw: SwitchRuntime, lines: string[]) {
  const ingestor = new Ingestor(database, { maxBatch: 3 });
  const stream = ingestor.openStream(sw, 'test');
  for (const l of lines) await stream.ingest(l);
  await ingestor.close();
  return ingestor.stats;
}

async function query<T>(database: Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return database.transaction((tx) => tx.query<T>(sql, params));
}

interface CallRow {
  call_id: string;
  cost: string | null;
  price: string | null;
  department: string | null;
  person: string | null;
  listed: string | null;
  destination: string | null;
  extra: Record<string, unknown>;
}

const callRows = (database: Database, switchId: number) =>
  query<CallRow>(
    database,
    `SELECT call_id, cost_nanos::text AS cost, price_nanos::text AS price, department, person, listed, destination, extra
     FROM calls WHERE switch_id = $1 ORDER BY call_id`,
    [switchId],
  );

const rollupRows = async (database: Database, switchId: number) =>
  (
    await query<{ hour: Date | string; disposition: string; calls: number; cost: string; price: string }>(
      database,
      `SELECT hour, disposition, calls, cost_nanos::text AS cost, price_nanos::text AS price FROM call_rollups_hourly WHERE switch_id = $1 ORDER BY hour`,
      [switchId],
    )
  ).map((r) => [new Date(r.hour).toISOString().slice(0, 13), r.disposition, r.calls, r.cost, r.price]);

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`rating in the store on ${engine.name}`, () => {
    let store: TestStore;
    let database: Database;
    let sw: SwitchRuntime;
    beforeAll(async () => {
      store = await engine.create();
      database = store.database;
      const repo = new RatingRepository(database);
      await repo.savePlan(parsePlan(sellPlan('0.10', '0.30')));
      await repo.savePlan(parsePlan(BUY));
      await repo.replaceDirectory('default', DIRECTORY);
      await repo.replaceLists('default', [{ list: 'blacklist', kind: 'prefix', value: '4490', label: 'premium' }]);
      sw = await makeSwitch(database, 'london');
      sw.pricing = await Pricing.load(database);
    });
    afterAll(async () => store?.cleanup());

    it('prices a month of calls as they land, exactly, and keeps unrated calls with a reason', async () => {
      const stats = await ingest(database, sw, CALLS);
      expect(stats).toMatchObject({ records: 8, inserted: 8, failed: 0 });
      const rows = await callRows(database, sw.row.id);
      expect(rows.map((r) => [r.call_id, r.cost, r.price, r.extra.cost ?? null, r.extra.price ?? null, r.extra.margin ?? null])).toEqual([
        // 61 s: sell 2 whole minutes × 0.10 = 0.20; buy 61 × 0.001 = 0.061; margin 0.139
        ['1.1', '61000000', '200000000', '0.061', '0.20', '0.139'],
        // 30 s to 447…: sell 30 × 0.30/60 = 0.1500; buy (prefix 44) 30 × 0.001 = 0.030; margin 0.1200
        ['1.2', '30000000', '150000000', '0.030', '0.1500', '0.1200'],
        // 125 s: sell ceil(125/60) = 3 × 0.10 = 0.30; buy 0.125
        ['1.3', '125000000', '300000000', '0.125', '0.30', '0.175'],
        // not answered: no money
        ['1.4', null, null, null, null, null],
        // 600 s to 447…: sell 600 × 0.005 = 3.0000; buy 0.600
        ['1.5', '600000000', '3000000000', '0.600', '3.0000', '2.4000'],
        // 60 s premium 0909…: prefix 44: sell 1 × 0.10; buy 0.060
        ['1.6', '60000000', '100000000', '0.060', '0.10', '0.040'],
        // ABC#: unknown number, stored, not rated
        ['1.7', null, null, null, null, null],
        // April: 1 × 0.10; buy 0.060
        ['1.8', '60000000', '100000000', '0.060', '0.10', '0.040'],
      ]);
      const byId = new Map(rows.map((r) => [r.call_id, r]));
      expect(byId.get('1.4')!.extra).toMatchObject({ costReason: 'not answered (no talk time)', priceReason: 'not answered (no talk time)', destination: 'United Kingdom - Mobile' });
      expect(byId.get('1.7')!.extra).toMatchObject({ numberType: 'unknown', costReason: 'number not classified: contains the letter "A"' });
      expect(byId.get('1.7')!.destination).toBeNull();
      expect(byId.get('1.1')!.destination).toBe('United Kingdom');
    });

    it('marks a call to a blacklisted prefix as it lands', async () => {
      const rows = await callRows(database, sw.row.id);
      expect(rows.filter((r) => r.listed !== null).map((r) => [r.call_id, r.listed, r.extra.listed, r.extra.listRule])).toEqual([
        ['1.6', 'blacklist', 'blacklist', 'prefix 4490 (premium)'],
      ]);
    });

    it('bills calls to the department the extension belonged to on the day, before and after a move', async () => {
      const rows = await callRows(database, sw.row.id);
      expect(rows.map((r) => [r.call_id, r.person, r.department, r.extra.department ?? null])).toEqual([
        ['1.1', 'Alice', 'Sales', 'Sales'], // 2 March
        ['1.2', 'Alice', 'Sales', 'Sales'], // 10 March
        ['1.3', 'Alice', 'Marketing', 'Marketing'], // 16 March: moved
        ['1.4', 'Bob', 'Support', 'Support'],
        ['1.5', 'Alice', 'Marketing', 'Marketing'],
        ['1.6', 'Bob', 'Support', 'Support'],
        ['1.7', 'Bob', 'Support', 'Support'],
        ['1.8', 'Alice', 'Marketing', 'Marketing'],
      ]);
      const perDepartment = await query<{ department: string; price: string }>(
        database,
        `SELECT department, coalesce(sum(price_nanos), 0)::text AS price FROM calls
         WHERE switch_id = $1 AND started_at >= '2026-03-01T00:00:00Z' AND started_at < '2026-04-01T00:00:00Z' GROUP BY department ORDER BY department`,
        [sw.row.id],
      );
      // Sales 0.20 + 0.15 = 0.35; Marketing 0.30 + 3.00 = 3.30; Support 0.10 (the others unrated)
      expect(perDepartment).toEqual([
        { department: 'Marketing', price: '3300000000' },
        { department: 'Sales', price: '350000000' },
        { department: 'Support', price: '100000000' },
      ]);
    });

    it('keeps the hourly rollups’ cost and price sums in step with the calls', async () => {
      expect(await rollupRows(database, sw.row.id)).toEqual([
        ['2026-03-02T09', 'answered', 1, '61000000', '200000000'],
        ['2026-03-05T08', 'answered', 1, '60000000', '100000000'],
        ['2026-03-06T08', 'answered', 1, '0', '0'],
        ['2026-03-10T14', 'answered', 1, '30000000', '150000000'],
        ['2026-03-16T10', 'answered', 1, '125000000', '300000000'],
        ['2026-03-20T11', 'no_answer', 1, '0', '0'],
        ['2026-03-31T23', 'answered', 1, '600000000', '3000000000'],
        ['2026-04-01T00', 'answered', 1, '60000000', '100000000'],
      ]);
    });

    it('rebills a month after the plan changes: every call and the rollups change together', async () => {
      await new RatingRepository(database).savePlan(parsePlan(sellPlan('0.12', '0.36')));
      const pricing = await Pricing.load(database);
      const result = await rebill(database, pricing, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') });
      // 7 calls in March; the 5 rated ones change price, no cost (buy plan unchanged)
      expect(result).toEqual({ calls: 7, costChanged: 0, priceChanged: 5, moneyChanged: 5, updated: 5 });
      const rows = await callRows(database, sw.row.id);
      expect(rows.map((r) => [r.call_id, r.cost, r.price, r.extra.price ?? null, r.extra.margin ?? null])).toEqual([
        ['1.1', '61000000', '240000000', '0.24', '0.179'], // 2 × 0.12
        ['1.2', '30000000', '180000000', '0.1800', '0.1500'], // 30 × 0.006
        ['1.3', '125000000', '360000000', '0.36', '0.235'], // 3 × 0.12
        ['1.4', null, null, null, null],
        ['1.5', '600000000', '3600000000', '3.6000', '3.0000'], // 600 × 0.006
        ['1.6', '60000000', '120000000', '0.12', '0.060'], // 1 × 0.12
        ['1.7', null, null, null, null],
        ['1.8', '60000000', '100000000', '0.10', '0.040'], // April: not in the range, unchanged
      ]);
      expect(await rollupRows(database, sw.row.id)).toEqual([
        ['2026-03-02T09', 'answered', 1, '61000000', '240000000'],
        ['2026-03-05T08', 'answered', 1, '60000000', '120000000'],
        ['2026-03-06T08', 'answered', 1, '0', '0'],
        ['2026-03-10T14', 'answered', 1, '30000000', '180000000'],
        ['2026-03-16T10', 'answered', 1, '125000000', '360000000'],
        ['2026-03-20T11', 'no_answer', 1, '0', '0'],
        ['2026-03-31T23', 'answered', 1, '600000000', '3600000000'],
        ['2026-04-01T00', 'answered', 1, '60000000', '100000000'],
      ]);
      // The rollups and the calls agree.
      const [sums] = await query<{ calls: string; rollups: string }>(
        database,
        `SELECT (SELECT sum(price_nanos) FROM calls WHERE switch_id = $1)::text AS calls, (SELECT sum(price_nanos) FROM call_rollups_hourly WHERE switch_id = $1)::text AS rollups`,
        [sw.row.id],
      );
      expect(sums).toEqual({ calls: '4600000000', rollups: '4600000000' }); // 0.24 + 0.18 + 0.36 + 3.60 + 0.12 + 0.10
      // Rebilling again with the same plans changes nothing.
      expect(await rebill(database, pricing, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') })).toEqual({
        calls: 7,
        costChanged: 0,
        priceChanged: 0,
        moneyChanged: 0,
        updated: 0,
      });
    });

    it('rebills with a changed buy plan and directory: cost and departments follow', async () => {
      const repo = new RatingRepository(database);
      // 0.12 a minute per second = 0.002 a second
      await repo.savePlan(parsePlan({ ...BUY, rates: [{ ...BUY.rates[0]!, tariffs: [{ rounding: 'up', decimals: 3, increments: [{ fromSecond: 0, rate: '0.12', unitSeconds: 60, incrementSeconds: 1 }] }] }] }));
      await repo.replaceDirectory('default', [{ extension: '201', person: 'Alice', department: 'Sales', costCentre: 'CC-100', validFrom: null, validTo: null }]);
      const result = await rebill(database, await Pricing.load(database), { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-11T00:00:00Z') });
      // In range: 1.1, 1.2, 1.6, 1.7 (2, 10, 5, 6 March); rated: 1.1, 1.2, 1.6
      expect(result).toMatchObject({ calls: 4, costChanged: 3, priceChanged: 0 });
      const rows = new Map((await callRows(database, sw.row.id)).map((r) => [r.call_id, r]));
      expect([rows.get('1.1')!.cost, rows.get('1.2')!.cost, rows.get('1.6')!.cost]).toEqual(['122000000', '60000000', '120000000']); // 61, 30, 60 × 0.002
      expect([rows.get('1.6')!.department, rows.get('1.6')!.extra.department, rows.get('1.3')!.department]).toEqual([null, undefined, 'Marketing']); // 202 left the directory; 1.3 not in range
      const rollups = await rollupRows(database, sw.row.id);
      expect(rollups.slice(0, 4).map((r) => r[3])).toEqual(['122000000', '120000000', '0', '60000000']);
    });
  });

}

// The commands start a process each (a PGlite one takes seconds to open), so they run on one engine:
// PostgreSQL when there is one.
const cliEngine = ENGINES.find((e) => e.name === 'postgres' && e.available) ?? ENGINES[0]!;
{
  const engine = cliEngine;
  describe(`rating commands on ${engine.name}`, () => {
    let tmp: string;
    let loc: Awaited<ReturnType<typeof engine.location>>;
    beforeAll(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'calltrail-rating-'));
      loc = await engine.location();
    });
    afterAll(async () => {
      await loc?.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    });
    const file = (name: string, text: string): string => {
      const path = join(tmp, name);
      writeFileSync(path, text);
      return path;
    };
    /** PGlite lets one process at a time open the store; PostgreSQL takes the commands together. */
    const runAll = async (commands: string[][]) => {
      if (loc.url) return Promise.all(commands.map((c) => runCli(c)));
      const out = [];
      for (const c of commands) out.push(await runCli(c));
      return out;
    };
    const planCsv = (rate: string): string =>
      [HEADER.join(','), 'plan,id,retail', 'plan,name,Retail', 'plan,kind,sell', 'plan,currency,GBP', 'plan,tenant,default', `rate,,,44,United Kingdom,,any,0,${rate},60,60,0,0,,up,2`, ''].join('\n');

    it('imports plans (a bad row named), destinations, a directory and lists; prices an import; rebills after the plan changes', async () => {
      const config = file('calltrail.yaml', 'switches:\n  - name: london\n    format: asterisk-csv\n    timezone: UTC\n    dialPlan: { country: GB }\n');
      // The bad plan is refused before the store is opened, so the two run together.
      const [bad, imported] = (await runAll([
        ['plans', 'import', file('bad.csv', planCsv('abc')), ...loc.cliArgs],
        ['plans', 'import', file('retail.csv', planCsv('0.10')), ...loc.cliArgs],
      ])) as [CliResult, CliResult];
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(`calltrail: rate plan ${join(tmp, 'bad.csv')} is invalid: row 7: rate "abc" is not a decimal number\n  row 7: rate "abc" is not a decimal number\n`);
      expect([imported.code, imported.stdout, imported.stderr]).toEqual([0, 'imported sell plan retail (Retail, tenant default, GBP, 1 rates)\n', '']);

      const [dest, dir, lists, goodLists, r] = (await runAll([
        ['destinations', 'import', file('dest.csv', 'prefix,destination\n44,United Kingdom\n447,UK Mobile\n'), ...loc.cliArgs],
        ['directory', 'import', file('dir.csv', 'extension,person,department,cost_centre,valid_from,valid_to\n201,Alice,Sales,CC-100,,2026-03-15\n201,Alice,Marketing,CC-200,2026-03-10,\n'), ...loc.cliArgs],
        ['lists', 'import', file('lists.csv', 'list,type,value,label\nblacklist,prefix,4490,premium\nblacklist,country,ZZ,\n'), '--tenant', 'acme', ...loc.cliArgs],
        ['lists', 'import', file('lists-ok.csv', 'list,type,value,label\nblacklist,prefix,4490,premium\n'), '--tenant', 'acme', ...loc.cliArgs],
        ['import', file('Master.csv', [CALLS[0], CALLS[2], CALLS[3]].join('\n') + '\n'), '--format', 'asterisk-csv', '--switch', 'london', '--config', config, ...loc.cliArgs],
      ])) as CliResult[] as [CliResult, CliResult, CliResult, CliResult, CliResult];
      expect([dest.code, dest.stdout]).toEqual([0, 'imported 2 destinations\n']);
      expect(dir.code).toBe(1);
      expect(dir.stderr).toContain('line 3: extension 201: 2026-03-10 to (open) overlaps (open) to 2026-03-15');
      expect(lists.code).toBe(1);
      expect(lists.stderr).toContain('line 3: country "ZZ" is not an ISO 3166 code');
      expect([goodLists.code, goodLists.stdout]).toEqual([0, 'imported 1 list rules for tenant acme\n']);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, 'imported 3, duplicates 0, rejected 0\n', '']);

      expect((await runCli(['plans', 'import', file('retail-v2.csv', planCsv('0.12')), ...loc.cliArgs])).code).toBe(0);
      const rebilled = await runCli(['rebill', '--from', '2026-03-01', '--to', '2026-04-01', '--switch', 'london', '--config', config, ...loc.cliArgs]);
      // 3 calls; the two answered ones change: 0.20 → 0.24 and 0.30 → 0.36
      expect([rebilled.code, rebilled.stdout, rebilled.stderr]).toEqual([0, 'rebilled 3 calls, cost changed on 2\n', '']);

      const [exported, list, csv, missing, unknownSwitch] = (await runAll([
        ['export', '--format', 'ndjson', ...loc.cliArgs],
        ['plans', 'list', ...loc.cliArgs],
        ['plans', 'export', 'retail', ...loc.cliArgs],
        ['plans', 'export', 'nope', ...loc.cliArgs],
        ['rebill', '--from', '2026-03-01', '--to', '2026-04-01', '--switch', 'nope', ...loc.cliArgs],
      ])) as [CliResult, CliResult, CliResult, CliResult, CliResult];
      expect(exported.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { extra: { price?: string } }).extra.price ?? null)).toEqual(['0.24', '0.36', null]);
      expect(JSON.parse(list.stdout)).toMatchObject({ id: 'retail', kind: 'sell', tenant: 'default', currency: 'GBP', rates: 1 });
      expect(csv.stdout).toBe(exportPlanCsv(importPlanCsv(planCsv('0.12'))));
      expect([missing.code, missing.stderr]).toEqual([1, 'calltrail: no rate plan with id "nope" (see calltrail plans list)\n']);
      expect([unknownSwitch.code, unknownSwitch.stderr]).toEqual([1, 'calltrail: --switch: no switch named "nope"\n']);
    });
  });
}
