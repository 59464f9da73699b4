import { MYSQL_SKIP_NOTE, MYSQL_URL } from '../../src/sources/sql-pull/test-support.js';
import { POSTGRES_SKIP_NOTE, POSTGRES_URL } from './engines.js';

export default function setup(): void {
  if (!POSTGRES_URL) process.stdout.write(`\n${POSTGRES_SKIP_NOTE}\n\n`);
  if (!MYSQL_URL) process.stdout.write(`\n${MYSQL_SKIP_NOTE}\n\n`);
}
