import type { Config, SwitchConfig } from '../config/schema.js';
import { CalltrailError } from '../core/errors.js';
import { getFormat } from '../formats/registry.js';
import type { Database } from '../store/database.js';
import { SwitchesRepository, type SwitchRow } from '../store/switches-repository.js';
import type { SwitchRuntime } from './ingest.js';

/** Brings the switches table up to date with the config; returns each switch ready for ingest. */
export async function syncSwitches(database: Database, config: Config): Promise<Map<string, SwitchRuntime>> {
  const repo = new SwitchesRepository(database);
  const out = new Map<string, SwitchRuntime>();
  for (const sw of config.switches) {
    if (!sw.format) {
      throw new CalltrailError('FORMAT_UNKNOWN', `switches.${sw.name}: formatFile (declarative formats) arrives with the PBX formats issue`);
    }
    const row = await repo.upsert({ name: sw.name, tenant: sw.tenant, format: sw.format, timezone: sw.timezone, dialPlan: sw.dialPlan });
    out.set(sw.name, runtimeOf(row, sw));
  }
  return out;
}

export function runtimeOf(row: SwitchRow, sw?: SwitchConfig): SwitchRuntime {
  return { row, format: getFormat(row.format), dialPlan: sw?.dialPlan ?? (row.dialPlan as SwitchRuntime['dialPlan']) };
}
