import { POSTGRES_SKIP_NOTE, POSTGRES_URL } from './engines.js';

export default function setup(): void {
  if (!POSTGRES_URL) process.stdout.write(`\n${POSTGRES_SKIP_NOTE}\n\n`);
}
