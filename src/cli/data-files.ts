import { readFileSync } from 'node:fs';
import { CalltrailError } from '../core/errors.js';

/** The text of a data file to import, or a clear error naming it. */
export function readDataFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CalltrailError('FILE_NOT_FOUND', `${what} ${path} does not exist`);
    throw new CalltrailError('FILE_UNREADABLE', `${what} ${path} cannot be read: ${(err as Error).message}`, undefined, { cause: err });
  }
}
