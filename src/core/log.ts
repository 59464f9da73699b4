import { pino, type Logger } from 'pino';

// Logs go to stderr so that commands whose stdout is data (parse, export) stay clean.
const root: Logger = pino(
  { level: process.env.CALLTRAIL_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'), base: undefined },
  pino.destination(2),
);

/** A logger tagged with the module it belongs to. */
export function logger(module: string): Logger {
  return root.child({ module });
}
