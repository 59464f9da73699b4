import { pino, type Logger } from 'pino';

// Logs go to stderr so that commands whose stdout is data (parse, export) stay clean. Long-running
// commands log at info; one-shot commands only warn, unless CALLTRAIL_LOG_LEVEL says otherwise.
const longRunning = ['serve', 'collect'].includes(process.argv[2] ?? '');
const level = process.env.CALLTRAIL_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : longRunning ? 'info' : 'warn');

const root: Logger = pino({ level, base: undefined }, pino.destination(2));

/** A logger tagged with the module it belongs to. */
export function logger(module: string): Logger {
  return root.child({ module });
}
