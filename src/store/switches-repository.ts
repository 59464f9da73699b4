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

  /** Makes the switch's sources those given (by name): new ones added, changed ones updated, others removed. */
  async syncSources(switchId: number, sources: { name: string; type: string; enabled: boolean; settings: Record<string, unknown> }[]): Promise<void> {
    const { db } = this.database;
    for (const source of sources) {
      await db
        .insertInto('sources')
        .values({ switch_id: switchId, name: source.name, type: source.type, enabled: source.enabled, settings: JSON.stringify(source.settings) })
        .onConflict((oc) =>
          oc.columns(['switch_id', 'name']).doUpdateSet((eb) => ({
            type: eb.ref('excluded.type'),
            enabled: eb.ref('excluded.enabled'),
            settings: eb.ref('excluded.settings'),
          })),
        )
        .execute();
    }
    let removal = db.deleteFrom('sources').where('switch_id', '=', switchId);
    if (sources.length > 0) removal = removal.where('name', 'not in', sources.map((s) => s.name));
    await removal.execute();
  }

  /**
   * Deletes a switch and everything stored for it: calls and legs with their receipts, journal
   * rows, events, rollups and sources. Returns how many calls it had.
   */
  async remove(switchId: number): Promise<number> {
    return this.database.transaction(async (tx) => {
      await tx.query('DELETE FROM receipts WHERE call_id IN (SELECT id FROM calls WHERE switch_id = $1 UNION ALL SELECT id FROM call_legs WHERE switch_id = $1)', [switchId]);
      const [removed] = await tx.query<{ calls: string }>('WITH d AS (DELETE FROM calls WHERE switch_id = $1 RETURNING 1) SELECT count(*)::text AS calls FROM d', [switchId]);
      for (const table of ['call_legs', 'leg_keys', 'call_events', 'raw_records', 'call_rollups_hourly']) {
        await tx.query(`DELETE FROM ${table} WHERE switch_id = $1`, [switchId]);
      }
      await tx.query('DELETE FROM switches WHERE id = $1', [switchId]); // its sources go with it (ON DELETE CASCADE)
      return Number(removed!.calls);
    });
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
