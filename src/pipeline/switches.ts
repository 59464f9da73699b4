import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../config/load.js';
import { columnProblems, columnsFormat, type Config, type SourceConfig, type SwitchConfig } from '../config/schema.js';
import { CalltrailError } from '../core/errors.js';
import { readDefinitionFile } from '../formats/declarative/load.js';
import type { Format } from '../formats/format.js';
import { getFormat, hasFormat } from '../formats/registry.js';
import type { Database } from '../store/database.js';
import { SwitchesRepository, type SwitchRow } from '../store/switches-repository.js';
import type { SwitchRuntime } from './ingest.js';

export interface SwitchFormatOptions {
  /** The config file the switches come from: `formatFile` paths are relative to its folder (default: the working directory). */
  configFile?: string | null;
}

/**
 * The format of every configured switch: a built-in one by id (in the switch's own column order
 * when it sets `columns` or `template`), or a declarative definition loaded from `formatFile`.
 * Every problem of every switch is thrown together as CONFIG_INVALID.
 */
export function loadSwitchFormats(config: Config, options: SwitchFormatOptions = {}): Map<string, Format> {
  const base = options.configFile ? dirname(resolve(options.configFile)) : process.cwd();
  const formats = new Map<string, Format>();
  const problems: ConfigProblem[] = [];
  config.switches.forEach((sw, i) => {
    if (sw.formatFile === undefined) {
      try {
        // A site's own column order (asterisk-csv cdr_custom, freeswitch-csv template), else the registry's format.
        formats.set(sw.name, columnsFormat(sw) ?? getFormat(sw.format!));
      } catch (err) {
        if (!(err instanceof CalltrailError) || err.code !== 'CONFIG_INVALID') throw err;
        for (const p of err.details as ConfigProblem[]) problems.push({ path: `switches[${i}].${p.path}`, message: p.message });
      }
      return;
    }
    if (sw.columns !== undefined || sw.template !== undefined) {
      problems.push(...columnProblems(sw).map((p) => ({ path: `switches[${i}].${p.key}`, message: p.message })));
    }
    const prefix = `switches[${i}].formatFile`;
    const loaded = readDefinitionFile(resolve(base, sw.formatFile));
    if (!loaded.ok) {
      for (const p of loaded.problems) {
        problems.push({ path: p.path.startsWith('(') ? prefix : `${prefix}.${p.path}`, message: p.message });
      }
      return;
    }
    if (hasFormat(loaded.format.id)) {
      problems.push({ path: `${prefix}.id`, message: `"${loaded.format.id}" is a built-in format's id; give the definition an id of its own` });
    }
    formats.set(sw.name, loaded.format);
  });
  if (problems.length > 0) {
    throw new CalltrailError('CONFIG_INVALID', `${options.configFile ?? 'configuration'}: ${problems.length} problem(s) in switch formats`, problems);
  }
  return formats;
}

/** Brings the switches table up to date with the config; returns each switch ready for ingest. */
export async function syncSwitches(database: Database, config: Config, options: SwitchFormatOptions = {}): Promise<Map<string, SwitchRuntime>> {
  const formats = loadSwitchFormats(config, options);
  const repo = new SwitchesRepository(database);
  const out = new Map<string, SwitchRuntime>();
  for (const sw of config.switches) {
    const format = formats.get(sw.name)!;
    // A declarative switch's row holds its definition's id; the runtime carries the compiled Format.
    const row = await repo.upsert({ name: sw.name, tenant: sw.tenant, format: format.id, timezone: sw.timezone, dialPlan: sw.dialPlan });
    await repo.syncSources(
      row.id,
      sw.sources.map((source, i) => {
        const { type, enabled, name, ...settings } = source;
        return { name: name ?? sourceName(source, i), type, enabled, settings };
      }),
    );
    out.set(sw.name, runtimeOf(row, sw, format));
  }
  return out;
}

/**
 * The switches as the config describes them, for a site collector that has no database: rows
 * without ids (the central server keeps the real ones; records travel by switch name).
 */
export function configuredSwitches(config: Config, options: SwitchFormatOptions = {}): Map<string, SwitchRuntime> {
  const formats = loadSwitchFormats(config, options);
  const out = new Map<string, SwitchRuntime>();
  for (const sw of config.switches) {
    const format = formats.get(sw.name)!;
    const row = { id: 0, tenantId: sw.tenant, name: sw.name, format: format.id, timezone: sw.timezone, dialPlan: sw.dialPlan };
    out.set(sw.name, runtimeOf(row, sw, format));
  }
  return out;
}

/** A source's name: the one configured, or its type and position (`file-1`). */
export function sourceName(source: SourceConfig, index: number): string {
  return source.name ?? `${source.type}-${index + 1}`;
}

export function runtimeOf(row: SwitchRow, sw?: SwitchConfig, format?: Format): SwitchRuntime {
  return { row, format: format ?? getFormat(row.format), dialPlan: sw?.dialPlan ?? (row.dialPlan as SwitchRuntime['dialPlan']) };
}
