import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { HighWater } from './plan.js';

// The high-water mark of one source, kept on our side (the switch's database is never written,
// unless the flag-column mode asks for it). Written to a temporary file, fsynced, renamed over the
// old one and the directory fsynced: after a crash the file holds the old mark or the new, whole.

export interface PullState {
  version: 1;
  /** What the mark is a position in; a mark for another table or ordering is not used. */
  source: { engine: string; location: string; table: string; key: string; tieKey: string | null };
  highWater: HighWater | null;
  /** (key, tie) of the rows taken within the lookback below the mark, so that a late row is taken once. */
  recent?: [unknown, unknown][];
  /** Rows acknowledged so far, over every run. */
  rows: number;
  updatedAt: string;
}

export function stateFileName(id: string): string {
  const slug = id.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 10);
  return `sql-pull-${slug}-${hash}.json`;
}

export async function loadState(path: string): Promise<PullState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const state = JSON.parse(text) as PullState;
  if (state?.version !== 1 || typeof state.source !== 'object') throw new Error(`${path}: not a Calltrail SQL pull state file`);
  return state;
}

export async function saveState(path: string, state: PullState): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(JSON.stringify(state, null, 2) + '\n');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
