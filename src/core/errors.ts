// One catalogue of error codes. Every error a user can see carries one of these codes, a message
// that names the place (file and line, config path, column), and optional details.

export const ERROR_CODES = {
  CONFIG_INVALID: 'the configuration has problems',
  CONFIG_NOT_FOUND: 'the configuration file does not exist',
  FILE_NOT_FOUND: 'a file does not exist',
  FILE_UNREADABLE: 'a file cannot be read',
  DATA_DIR_LOCKED: 'another process owns the data directory',
  DATABASE_UNREACHABLE: 'the database cannot be reached',
  TRANSPORT: 'a connection, port or device failed',
  DATABASE_ERROR: 'the database refused an operation',
  MIGRATION_FAILED: 'a migration failed',
  FORMAT_UNKNOWN: 'no such format',
  FORMAT_UNDETECTED: 'the format could not be detected',
  SWITCH_UNKNOWN: 'no such switch',
  USAGE: 'the command was used wrongly',
  VALIDATION: 'a request did not validate',
  NOT_FOUND: 'no such resource',
  INTERNAL: 'an internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class CalltrailError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CalltrailError';
  }
}

/** The one JSON error shape of the API and of machine-readable CLI output. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof CalltrailError) {
    return { error: { code: err.code, message: err.message, details: err.details } };
  }
  return { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } };
}
