import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CalltrailError } from '../core/errors.js';

// One process owns a PGlite data directory: a second writer would silently lose writes.

const LOCK_FILE = 'calltrail.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock or throws DATA_DIR_LOCKED naming the owner. Returns the release function. */
export function lockDataDir(dir: string, purpose: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: { pid?: number; host?: string; purpose?: string; since?: string } = {};
      try {
        owner = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // A lock file being written right now, or garbage: treat as held unless it is stale below.
      }
      const sameHost = owner.host === hostname();
      if (owner.pid && sameHost && !alive(owner.pid)) {
        rmSync(path, { force: true }); // left by a process that died: take it over
        continue;
      }
      throw new CalltrailError(
        'DATA_DIR_LOCKED',
        `data directory ${dir} is in use by process ${owner.pid ?? '?'} on ${owner.host ?? '?'} ` +
          `(${owner.purpose ?? 'calltrail'}, since ${owner.since ?? '?'}); ` +
          `stop it first, or point this process at PostgreSQL (--database) to share one store`,
        owner,
      );
    }
  }
  throw new CalltrailError('DATA_DIR_LOCKED', `data directory ${dir}: cannot take the lock ${path}`);
}
