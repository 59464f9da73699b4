// Reads a rate plan from a file: .csv (csv.ts), or .yaml / .yml / .json (the plan document).

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { CalltrailError } from '../core/errors.js';
import { importPlanCsv } from './csv.js';
import { parsePlan, type RatePlan } from './plan.js';

export function loadPlanFile(path: string): RatePlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CalltrailError('FILE_NOT_FOUND', `rate plan ${path} does not exist`);
    throw new CalltrailError('FILE_UNREADABLE', `rate plan ${path} cannot be read: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (/\.csv$/i.test(path)) return importPlanCsv(text, path);
  if (!/\.(ya?ml|json)$/i.test(path)) throw new CalltrailError('USAGE', `rate plan ${path}: give a .csv, .yaml, .yml or .json file`);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new CalltrailError(
      'CONFIG_INVALID',
      `rate plan ${path} is not valid YAML`,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  return parsePlan(doc.toJS(), path);
}
