import type { DirectoryEntry } from '../directory/directory.js';
import type { DestinationRow } from '../numbers/destinations.js';
import type { ListRule } from '../numbers/lists.js';
import type { RatePlan } from '../rating/plan.js';
import { copyRow, type Database, type Tx } from './database.js';
import type { TenantScope } from './scope.js';

// What rating reads at start-up and the importers write: rate plans (the validated plan as jsonb),
// destinations, the directory and number lists. Imports replace a tenant's set as a whole, in one
// transaction, so a file is the truth for what it covers.

export interface PlanSummary {
  id: string;
  name: string;
  kind: 'sell' | 'buy';
  tenant: string | null;
  carrier: string | null;
  trunks: string[];
  currency: string;
  rates: number;
  updatedAt: Date;
}

export interface TenantDestination extends DestinationRow {
  /** null: every tenant. */
  tenantId: string | null;
}

export interface TenantDirectoryEntry extends DirectoryEntry {
  tenantId: string;
}

export interface TenantListRule extends ListRule {
  tenantId: string;
}

export class RatingRepository {
  constructor(private readonly database: Database) {}

  /** Creates the plan, or replaces the plan with its id. */
  async savePlan(plan: RatePlan): Promise<void> {
    await this.database.transaction(async (tx) => {
      if (plan.tenant) await ensureTenant(tx, plan.tenant);
      await tx.query(
        `INSERT INTO rate_plans (id, name, kind, tenant_id, carrier, trunks, currency, plan, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8::jsonb, now())
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, tenant_id = excluded.tenant_id,
           carrier = excluded.carrier, trunks = excluded.trunks, currency = excluded.currency, plan = excluded.plan, updated_at = now()`,
        [plan.id, plan.name, plan.kind, plan.tenant, plan.carrier, plan.trunks, plan.currency, JSON.stringify(plan)],
      );
    });
  }

  /** The plans a scope may see (a tenant: its own sell plans), oldest change first. */
  async listPlans(scope: TenantScope): Promise<PlanSummary[]> {
    const rows = await this.database.transaction((tx) =>
      tx.query<{ id: string; name: string; kind: 'sell' | 'buy'; tenant_id: string | null; carrier: string | null; trunks: string[]; currency: string; updated_at: Date | string; rates: number }>(
        `SELECT id, name, kind, tenant_id, carrier, trunks, currency, updated_at, jsonb_array_length(plan -> 'rates') AS rates
         FROM rate_plans ${scope.kind === 'tenant' ? 'WHERE tenant_id = $1' : ''} ORDER BY updated_at, id`,
        scope.kind === 'tenant' ? [scope.tenantId] : [],
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      tenant: r.tenant_id,
      carrier: r.carrier,
      trunks: r.trunks,
      currency: r.currency,
      rates: Number(r.rates),
      updatedAt: new Date(r.updated_at),
    }));
  }

  /** One plan, or null. A tenant scope sees only its own plans. */
  async getPlan(scope: TenantScope, id: string): Promise<RatePlan | null> {
    let q = this.database.db.selectFrom('rate_plans').select('plan').where('id', '=', id);
    if (scope.kind === 'tenant') q = q.where('tenant_id', '=', scope.tenantId);
    const row = await q.executeTakeFirst();
    return row ? (row.plan as RatePlan) : null;
  }

  /** Every plan, oldest change first (a later plan wins where two claim the same tenant or trunk). */
  async loadPlans(): Promise<RatePlan[]> {
    const rows = await this.database.db.selectFrom('rate_plans').select('plan').orderBy('updated_at').orderBy('id').execute();
    return rows.map((r) => r.plan as RatePlan);
  }

  /** Replaces the destinations of a tenant (null: the global table). */
  async replaceDestinations(tenantId: string | null, rows: DestinationRow[]): Promise<void> {
    await this.database.transaction(async (tx) => {
      if (tenantId) await ensureTenant(tx, tenantId);
      await tx.query('DELETE FROM destinations WHERE tenant_id IS NOT DISTINCT FROM $1', [tenantId]);
      let text = '';
      for (const r of rows) text += copyRow([tenantId, r.prefix, r.name]);
      if (text) await tx.copyFrom('destinations', ['tenant_id', 'prefix', 'name'], text);
    });
  }

  async loadDestinations(): Promise<TenantDestination[]> {
    const rows = await this.database.db.selectFrom('destinations').select(['tenant_id', 'prefix', 'name']).orderBy('prefix').execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, prefix: r.prefix, name: r.name }));
  }

  /** Replaces a tenant's directory (the file holds every period of every extension). */
  async replaceDirectory(tenantId: string, entries: DirectoryEntry[]): Promise<void> {
    await this.database.transaction(async (tx) => {
      await ensureTenant(tx, tenantId);
      await tx.query('DELETE FROM directory_entries WHERE tenant_id = $1', [tenantId]);
      let text = '';
      for (const e of entries) text += copyRow([tenantId, e.extension, e.person, e.department, e.costCentre, e.validFrom, e.validTo]);
      if (text) await tx.copyFrom('directory_entries', ['tenant_id', 'extension', 'person', 'department', 'cost_centre', 'valid_from', 'valid_to'], text);
    });
  }

  async loadDirectory(scope: TenantScope): Promise<TenantDirectoryEntry[]> {
    const rows = await this.database.transaction((tx) =>
      tx.query<{ tenant_id: string; extension: string; person: string | null; department: string | null; cost_centre: string | null; valid_from: string | null; valid_to: string | null }>(
        `SELECT tenant_id, extension, person, department, cost_centre, valid_from::text AS valid_from, valid_to::text AS valid_to
         FROM directory_entries ${scope.kind === 'tenant' ? 'WHERE tenant_id = $1' : ''} ORDER BY tenant_id, extension, valid_from NULLS FIRST`,
        scope.kind === 'tenant' ? [scope.tenantId] : [],
      ),
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      extension: r.extension,
      person: r.person,
      department: r.department,
      costCentre: r.cost_centre,
      validFrom: r.valid_from,
      validTo: r.valid_to,
    }));
  }

  /** Replaces a tenant's blacklist and whitelist. */
  async replaceLists(tenantId: string, rules: ListRule[]): Promise<void> {
    await this.database.transaction(async (tx) => {
      await ensureTenant(tx, tenantId);
      await tx.query('DELETE FROM number_lists WHERE tenant_id = $1', [tenantId]);
      let text = '';
      for (const r of rules) text += copyRow([tenantId, r.list, r.kind, r.value, r.label ?? null]);
      if (text) await tx.copyFrom('number_lists', ['tenant_id', 'list', 'kind', 'value', 'label'], text);
    });
  }

  async loadLists(scope: TenantScope): Promise<TenantListRule[]> {
    let q = this.database.db.selectFrom('number_lists').select(['tenant_id', 'list', 'kind', 'value', 'label']).orderBy('tenant_id').orderBy('id');
    if (scope.kind === 'tenant') q = q.where('tenant_id', '=', scope.tenantId);
    const rows = await q.execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, list: r.list, kind: r.kind, value: r.value, ...(r.label ? { label: r.label } : {}) }));
  }
}

async function ensureTenant(tx: Tx, tenantId: string): Promise<void> {
  await tx.query('INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING', [tenantId]);
}
