import type { Database } from './database.js';
import type { TenantScope } from './scope.js';

export interface SwitchRow {
  id: number;
  tenantId: string;
  name: string;
  format: string;
  timezone: string;
  dialPlan: Record<string, unknown>;
}

export interface SwitchDefinition {
  name: string;
  tenant: string;
  format: string;
  timezone: string;
  dialPlan: Record<string, unknown>;
}

function toRow(r: { id: number; tenant_id: string; name: string; format: string; timezone: string; dial_plan: Record<string, unknown> }): SwitchRow {
  return { id: r.id, tenantId: r.tenant_id, name: r.name, format: r.format, timezone: r.timezone, dialPlan: r.dial_plan };
}

export class SwitchesRepository {
  constructor(private readonly database: Database) {}

  /** Creates the switch, or brings its settings up to date with the definition. */
  async upsert(def: SwitchDefinition): Promise<SwitchRow> {
    const { db } = this.database;
    await db
      .insertInto('tenants')
      .values({ id: def.tenant, name: def.tenant })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const row = await db
      .insertInto('switches')
      .values({
        name: def.name,
        tenant_id: def.tenant,
        format: def.format,
        timezone: def.timezone,
        dial_plan: JSON.stringify(def.dialPlan),
      })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet((eb) => ({
          tenant_id: eb.ref('excluded.tenant_id'),
          format: eb.ref('excluded.format'),
          timezone: eb.ref('excluded.timezone'),
          dial_plan: eb.ref('excluded.dial_plan'),
          updated_at: new Date(),
        })),
      )
      .returning(['id', 'tenant_id', 'name', 'format', 'timezone', 'dial_plan'])
      .executeTakeFirstOrThrow();
    return toRow(row);
  }

  async findByName(scope: TenantScope, name: string): Promise<SwitchRow | null> {
    let q = this.database.db
      .selectFrom('switches')
      .select(['id', 'tenant_id', 'name', 'format', 'timezone', 'dial_plan'])
      .where('name', '=', name);
    if (scope.kind === 'tenant') q = q.where('tenant_id', '=', scope.tenantId);
    const row = await q.executeTakeFirst();
    return row ? toRow(row) : null;
  }

  async list(scope: TenantScope): Promise<SwitchRow[]> {
    let q = this.database.db.selectFrom('switches').select(['id', 'tenant_id', 'name', 'format', 'timezone', 'dial_plan']).orderBy('name');
    if (scope.kind === 'tenant') q = q.where('tenant_id', '=', scope.tenantId);
    return (await q.execute()).map(toRow);
  }
}
