import type { Call } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { failOnProblems, readCsv, type DataProblem } from '../numbers/csv.js';

// Who an extension belonged to when a call was made: person, department and cost centre, with
// effective dates because people move. Dates are calendar days (YYYY-MM-DD), both ends inclusive,
// either end open; a call is matched on its local date (the date part of startedAt, which carries
// the switch's offset). Two periods of one extension must not overlap.

export interface DirectoryEntry {
  extension: string;
  person: string | null;
  department: string | null;
  costCentre: string | null;
  /** First day the entry holds (inclusive), or null for "always before". */
  validFrom: string | null;
  /** Last day the entry holds (inclusive), or null for "until further notice". */
  validTo: string | null;
}

/** What the pipeline and reports need; the store can back it with a table later. */
export interface DirectoryLookup {
  /** The entry of the extension valid at an ISO-8601 time (or YYYY-MM-DD), or null. */
  lookup(extension: string, at: string): DirectoryEntry | null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(value + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function overlaps(a: DirectoryEntry, b: DirectoryEntry): boolean {
  // Open ends compare as the earliest/latest dates; YYYY-MM-DD strings order like dates.
  return (a.validFrom ?? '') <= (b.validTo ?? '9999-12-31') && (b.validFrom ?? '') <= (a.validTo ?? '9999-12-31');
}

function entryProblem(e: DirectoryEntry): string | null {
  if (e.extension === '') return 'empty extension';
  if (!/^\d+$/.test(e.extension)) return `extension "${e.extension}" must be digits only`;
  if (e.validFrom !== null && !isDate(e.validFrom)) return `valid_from "${e.validFrom}" is not a date (YYYY-MM-DD)`;
  if (e.validTo !== null && !isDate(e.validTo)) return `valid_to "${e.validTo}" is not a date (YYYY-MM-DD)`;
  if (e.validFrom !== null && e.validTo !== null && e.validTo < e.validFrom) return `valid_to ${e.validTo} is before valid_from ${e.validFrom}`;
  if (!e.person && !e.department && !e.costCentre) return `extension ${e.extension} has no person, department or cost centre`;
  return null;
}

const period = (e: DirectoryEntry): string => `${e.validFrom ?? '(open)'} to ${e.validTo ?? '(open)'}`;

export class Directory implements DirectoryLookup {
  private readonly byExtension = new Map<string, DirectoryEntry[]>();

  constructor(entries: DirectoryEntry[] = [], source = 'directory') {
    const problems: DataProblem[] = [];
    entries.forEach((entry, i) => {
      const problem = this.check(entry);
      if (problem) problems.push({ line: i + 1, message: problem });
      else this.insert(entry);
    });
    failOnProblems(source, problems);
  }

  /** Adds one entry (the API's way in); throws VALIDATION when it is malformed or overlaps. */
  add(entry: DirectoryEntry): void {
    const problem = this.check(entry);
    if (problem) throw new CalltrailError('VALIDATION', problem);
    this.insert(entry);
  }

  lookup(extension: string, at: string): DirectoryEntry | null {
    const day = at.slice(0, 10);
    for (const e of this.byExtension.get(extension) ?? []) {
      if ((e.validFrom === null || e.validFrom <= day) && (e.validTo === null || day <= e.validTo)) return e;
    }
    return null;
  }

  /** Every entry, by extension then period. */
  entries(): DirectoryEntry[] {
    return [...this.byExtension.keys()].sort().flatMap((k) => this.byExtension.get(k)!);
  }

  private check(entry: DirectoryEntry): string | null {
    const problem = entryProblem(entry);
    if (problem) return problem;
    const clash = (this.byExtension.get(entry.extension) ?? []).find((e) => overlaps(e, entry));
    return clash ? `extension ${entry.extension}: ${period(entry)} overlaps ${period(clash)} (${clash.person ?? clash.department ?? clash.costCentre})` : null;
  }

  private insert(entry: DirectoryEntry): void {
    const list = this.byExtension.get(entry.extension) ?? [];
    list.push(entry);
    list.sort((a, b) => (a.validFrom ?? '').localeCompare(b.validFrom ?? ''));
    this.byExtension.set(entry.extension, list);
  }
}

/**
 * Reads `extension,person,department,cost_centre,valid_from,valid_to` CSV (header required;
 * person/department/cost_centre/valid_from/valid_to may be empty, not all three names). Every
 * problem, overlaps included, is reported with its line number.
 */
export function parseDirectoryCsv(text: string, source = 'directory.csv'): Directory {
  const problems: DataProblem[] = [];
  const rows = readCsv(text, source, ['extension'], problems);
  const directory = new Directory([], source);
  const orNull = (v: string): string | null => (v === '' ? null : v);
  for (const row of rows) {
    const entry: DirectoryEntry = {
      extension: row.get('extension'),
      person: orNull(row.get('person')),
      department: orNull(row.get('department')),
      costCentre: orNull(row.get('cost_centre') || row.get('cost_center')),
      validFrom: orNull(row.get('valid_from')),
      validTo: orNull(row.get('valid_to')),
    };
    try {
      directory.add(entry);
    } catch (err) {
      if (!(err instanceof CalltrailError)) throw err;
      problems.push({ line: row.line, message: err.message });
    }
  }
  failOnProblems(source, problems);
  return directory;
}

/** Puts the extension's person, department and cost centre at the time of the call into call.extra. */
export function annotateCall(call: Call, directory: DirectoryLookup): Call {
  if (!call.extension) return call;
  const entry = directory.lookup(call.extension, call.startedAt);
  if (entry) {
    call.extra.person = entry.person;
    call.extra.department = entry.department;
    call.extra.costCentre = entry.costCentre;
  }
  return call;
}
