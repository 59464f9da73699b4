import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { CalltrailError } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';

// Precedence: CLI flags > environment (CALLTRAIL_*) > config file > defaults.

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Settings the command line may override. */
export interface CliOverrides {
  data?: string | undefined;
  database?: string | undefined;
  port?: number | undefined;
}

export const DEFAULT_CONFIG_FILE = 'calltrail.yaml';

type Raw = Record<string, unknown>;

function readYaml(file: string): { raw: Raw; problems: ConfigProblem[] } {
  if (!existsSync(file)) throw new CalltrailError('CONFIG_NOT_FOUND', `${file}: no such file`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CalltrailError('FILE_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      raw: {},
      problems: doc.errors.map((e) => ({
        path: `${file}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { raw: {}, problems: [{ path: file, message: 'expected a mapping of settings at the top level' }] };
  }
  return { raw: value as Raw, problems: [] };
}

function envOverrides(env: NodeJS.ProcessEnv): { raw: Raw; problems: ConfigProblem[] } {
  const raw: Raw = {};
  const problems: ConfigProblem[] = [];
  if (env.CALLTRAIL_DATA) raw.data = env.CALLTRAIL_DATA;
  if (env.CALLTRAIL_DATABASE_URL) raw.database = env.CALLTRAIL_DATABASE_URL;
  const server: Raw = {};
  if (env.CALLTRAIL_PORT) {
    const port = Number(env.CALLTRAIL_PORT);
    if (!Number.isInteger(port)) problems.push({ path: 'CALLTRAIL_PORT', message: `"${env.CALLTRAIL_PORT}" is not a port number` });
    server.port = port;
  }
  if (env.CALLTRAIL_HOST) server.host = env.CALLTRAIL_HOST;
  if (Object.keys(server).length > 0) raw.server = server;
  if (env.CALLTRAIL_LOG_LEVEL) raw.log = { level: env.CALLTRAIL_LOG_LEVEL };
  if (env.CALLTRAIL_COLLECTOR_ID) raw.collector = { id: env.CALLTRAIL_COLLECTOR_ID };
  return { raw, problems };
}

/** Merges one layer over another; `data` and `database` exclude each other, the higher layer wins. */
function overlay(base: Raw, top: Raw): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const below = out[key];
    if (isPlainObject(value) && isPlainObject(below)) out[key] = { ...below, ...value };
    else out[key] = value;
  }
  if ('data' in top && !('database' in top)) delete out.database;
  if ('database' in top && !('data' in top)) delete out.data;
  return out;
}

function isPlainObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function formatIssues(issues: z.core.$ZodIssue[], prefix = ''): ConfigProblem[] {
  return issues.map((issue) => ({
    path: prefix + (issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)'),
    message: issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

/** Checks across entries, on the raw input so that they are reported even when other keys are invalid. */
function crossChecks(raw: Raw): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!Array.isArray(raw.switches)) return problems;
  const seen = new Set<string>();
  raw.switches.forEach((sw: unknown, i) => {
    const name = isPlainObject(sw) && typeof sw.name === 'string' ? sw.name : null;
    if (name === null) return;
    if (seen.has(name)) problems.push({ path: `switches[${i}].name`, message: `duplicate switch name "${name}"` });
    seen.add(name);
  });
  return problems;
}

/** Listeners shared by several sources: one `from`-less source each; gateway listeners on gateway switches. */
function listenerChecks(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const catchAll = new Map<string, string>();
  config.switches.forEach((sw, i) => {
    sw.sources.forEach((source, j) => {
      const path = `switches[${i}].sources[${j}]`;
      if (source.type === 'gateway-listener' && sw.format !== 'gateway-events') {
        problems.push({ path: `${path}.type`, message: 'a gateway-listener source needs a switch of format gateway-events' });
      }
      if (source.type === 'sql' && sw.format !== 'sql-row') {
        problems.push({ path: `${path}.type`, message: 'an sql source needs a switch of format sql-row (its rows are read through the mapping, not a text format)' });
      }
      if ((source.type === 'tcp-server' || source.type === 'udp') && !source.from) {
        const key = `${source.type} ${source.listen}`;
        const other = catchAll.get(key);
        if (other) problems.push({ path: `${path}.from`, message: `${other} already takes every peer on ${source.type} ${source.listen}; give one of them "from"` });
        else catchAll.set(key, path);
      }
    });
  });
  return problems;
}

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null when none was used. */
  file: string | null;
}

/**
 * Loads and validates the configuration. With no file named, `./calltrail.yaml` is used when it
 * exists. Every problem is collected and thrown together as CONFIG_INVALID with the list in details.
 */
export function loadConfig(options: { file?: string | undefined; cli?: CliOverrides; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null);
  const fromFile = file ? readYaml(file) : { raw: {}, problems: [] };
  const fromEnv = envOverrides(env);
  const cli: Raw = {};
  if (options.cli?.data !== undefined) cli.data = options.cli.data;
  if (options.cli?.database !== undefined) cli.database = options.cli.database;
  if (options.cli?.port !== undefined) cli.server = { port: options.cli.port };
  const problems = [...fromFile.problems, ...fromEnv.problems];
  const merged = overlay(overlay(fromFile.raw, fromEnv.raw), cli);
  const result = configSchema.safeParse(merged);
  if (!result.success) problems.push(...formatIssues(result.error.issues));
  problems.push(...crossChecks(merged));
  if (result.success) problems.push(...listenerChecks(result.data));
  if (problems.length > 0 || !result.success) {
    throw new CalltrailError('CONFIG_INVALID', `${file ?? 'configuration'}: ${problems.length} problem(s)`, problems);
  }
  return { config: result.data, file };
}
