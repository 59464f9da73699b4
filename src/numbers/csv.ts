import { CalltrailError } from '../core/errors.js';
import { splitCsv } from '../framing/csv.js';

// Reading the small CSV data files of numbers and directory (destinations, lists, extensions):
// a header row naming the columns, then one record per line. Every problem is collected with its
// line number and reported together, so a file can be fixed in one pass.

export interface DataProblem {
  line: number;
  message: string;
}

export interface DataRow {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  get(column: string): string;
}

const SHOWN = 10;

/** Throws one VALIDATION error listing the problems (the first ten in the message, all in details). */
export function failOnProblems(source: string, problems: DataProblem[]): void {
  if (problems.length === 0) return;
  problems.sort((a, b) => a.line - b.line);
  const shown = problems.slice(0, SHOWN).map((p) => `line ${p.line}: ${p.message}`);
  if (problems.length > SHOWN) shown.push(`… and ${problems.length - SHOWN} more`);
  throw new CalltrailError('VALIDATION', `${source}: ${problems.length} problem(s): ${shown.join('; ')}`, problems);
}

/**
 * Splits CSV text into rows keyed by header name (lower-cased, trimmed). Blank lines carry no data
 * and are passed over; a line that does not split is a problem. Missing required columns throw.
 */
export function readCsv(text: string, source: string, required: string[], problems: DataProblem[]): DataRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsv(lines[0] ?? '');
  if (!header.ok || lines[0]!.trim() === '') {
    throw new CalltrailError('VALIDATION', `${source}: line 1: expected a header row with the columns ${required.join(', ')}`);
  }
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const missing = required.filter((r) => !columns.includes(r));
  if (missing.length > 0) {
    throw new CalltrailError('VALIDATION', `${source}: line 1: missing column(s) ${missing.join(', ')} (found ${columns.join(', ')})`);
  }
  const index = new Map(columns.map((c, i) => [c, i]));
  const rows: DataRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() === '') continue;
    const split = splitCsv(text);
    if (!split.ok) {
      problems.push({ line: i + 1, message: split.error });
      continue;
    }
    const fields = split.fields;
    if (fields.length > columns.length) {
      problems.push({ line: i + 1, message: `expected ${columns.length} fields, found ${fields.length}` });
      continue;
    }
    rows.push({ line: i + 1, get: (column) => (fields[index.get(column) ?? -1] ?? '').trim() });
  }
  return rows;
}

/** Why a prefix or number from a data file is not usable, or null when it is plain digits. */
export function digitsProblem(what: string, value: string): string | null {
  if (value === '') return `empty ${what}`;
  if (/^\d+$/.test(value)) return null;
  return `${what} "${value}" must be digits only (no '+', spaces, letters, '*' or '#')`;
}
