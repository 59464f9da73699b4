import { z } from 'zod';
import { hasFormat } from '../formats/registry.js';
import { isValidTimeZone } from '../core/time.js';
import { isAddressOrCidr } from '../transports/transport.js';
import { sqlPullSourceSchema } from '../sources/sql-pull/config.js';
import { CalltrailError } from '../core/errors.js';
import { asteriskCsvFormat, columnsFromCustomTemplate } from '../formats/asterisk-csv/format.js';
import { columnsFromTemplate, freeswitchCsvFormat } from '../formats/freeswitch-csv/format.js';
import type { Format } from '../formats/format.js';

// The one typed schema of calltrail.yaml. Unknown keys are errors, so a typo is listed, not ignored.

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'expected "HOST:PORT", e.g. "127.0.0.1:9000"');
const port = z.number().int().min(1).max(65535);
const listenPort = z.number().int().min(0).max(65535); // 0: any free port
const hexBytes = z.string().regex(/^([0-9a-fA-F]{2})(\s*[0-9a-fA-F]{2})*$/, 'expected hex bytes such as "02 00 00 00 84 00"');

export const dialPlanSchema = z
  .object({
    country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as "GB"').optional(),
    areaCode: z.string().regex(/^\d+$/).optional(),
    outsideLine: z.union([z.string().regex(/^\d+$/), z.array(z.string().regex(/^\d+$/))]).optional(),
    nationalPrefix: z.string().regex(/^\d*$/).optional(),
    internationalPrefix: z.string().regex(/^\d*$/).optional(),
    extensionLength: z.object({ min: z.number().int().min(1), max: z.number().int().max(12) }).strict().optional(),
    /** Prefixes removed before analysis (carrier-select codes …), as CDR-Stats' PREFIX_TO_IGNORE. */
    ignorePrefixes: z.array(z.string().regex(/^\d+$/, 'expected digits')).optional(),
    /** Emergency numbers on top of the country's defaults (112, 999, 911 …). */
    emergencyNumbers: z.array(z.string().regex(/^\d+$/, 'expected digits')).optional(),
    /** Short or special numbers: number → label, or { label, type } to classify them too. */
    specialNumbers: z
      .record(
        z.string().regex(/^\d+$/, 'expected digits'),
        z.union([
          z.string().min(1),
          z.object({ label: z.string().min(1), type: z.enum(['local', 'national', 'mobile', 'international', 'toll-free', 'premium', 'emergency']).optional() }).strict(),
        ]),
      )
      .optional(),
    /** Fewer digits than this: an extension (CDR-Stats' PHONENUMBER_MIN_DIGITS), unless extensionLength says otherwise. */
    minDigits: z.number().int().min(1).max(20).optional(),
    /** More digits than this: the number already carries its country code (CDR-Stats' PHONENUMBER_MAX_DIGITS). */
    maxDigits: z.number().int().min(1).max(20).optional(),
  })
  .strict();

const common = {
  name: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  maxRecordBytes: z.number().int().min(16).max(16 * 1024 * 1024).optional(),
};

const addressOrCidr = z
  .string()
  .refine(isAddressOrCidr, { error: (iss) => `"${String(iss.input)}" is not an IP address or CIDR block (e.g. 10.0.0.5 or 10.0.0.0/24)` });
const seconds = z.number().min(0);
const backoffSchema = z
  .object({ initialSeconds: z.number().positive().default(1), maxSeconds: z.number().positive().default(60), jitter: z.number().min(0).max(1).default(0.2) })
  .strict();
/** Where a shared listener sends a peer: to the source whose `from` holds its address. */
const listener = {
  listen: hostPort,
  /** Addresses and CIDR blocks that may connect; absent: anyone. */
  allow: z.array(addressOrCidr).optional(),
  /** Peers this source takes when several switches share the `listen` address; absent: all the others. */
  from: z.array(addressOrCidr).optional(),
};

export const sourceSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('file'),
      path: z.string().min(1),
      /** Keep reading what is appended, across rotation (rename or copytruncate) and restarts. */
      follow: z.boolean().default(false),
      /** follow: where offset + inode are kept; default <data>/sources/<collector>/<switch>.<source>.json. */
      stateFile: z.string().min(1).optional(),
      pollSeconds: z.number().min(0.01).max(60).default(0.5),
      /** First run (no state yet): read what is already in the file. false: only what is appended. */
      fromStart: z.boolean().default(true),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('directory'),
      /** A drop directory (CUCM CDR repository): each complete flat file is read once. */
      path: z.string().min(1),
      /** Names to read, "*" and "?" as in a shell ("cdr_*", "*.csv"); absent: every file not starting with ".". */
      pattern: z.string().min(1).optional(),
      /** Once a file's records are all journaled: keep it, delete it, or move it (a relative path is inside `path`). */
      doneAction: z.union([z.enum(['keep', 'delete']), z.object({ moveTo: z.string().min(1) }).strict()]).default('keep'),
      stateFile: z.string().min(1).optional(),
      pollSeconds: z.number().min(0.01).max(60).default(0.5),
      /** First run: read the files already there. false: only files that arrive later. */
      fromStart: z.boolean().default(true),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('tcp-server'),
      ...listener,
      idleTimeoutSeconds: seconds.default(0),
      maxConnections: z.number().int().min(1).default(256),
      keepAliveSeconds: seconds.default(60),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('tcp-client'),
      host: z.string().min(1),
      port,
      startBytes: hexBytes.optional(),
      /** A login dialogue before records flow, e.g. Panasonic's [{ expect: "-", send: "SMDR\r\n" }, …]. */
      login: z.array(z.object({ expect: z.string().min(1), send: z.string() }).strict()).optional(),
      loginTimeoutSeconds: z.number().positive().default(10),
      connectTimeoutSeconds: z.number().positive().default(10),
      keepAliveSeconds: seconds.default(30),
      /** No bytes for this long: the connection is taken for dead (half-open) and made again. 0: never. */
      idleTimeoutSeconds: seconds.default(0),
      reconnect: backoffSchema.default({ initialSeconds: 1, maxSeconds: 60, jitter: 0.2 }),
      ...common,
    })
    .strict(),
  z.object({ type: z.literal('udp'), ...listener, maxQueuedRecords: z.number().int().min(1).default(10_000), ...common }).strict(),
  z
    .object({
      type: z.literal('serial'),
      path: z.string().min(1),
      baudRate: z.number().int().positive().default(9600),
      dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
      parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
      stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
      flowControl: z.enum(['none', 'rtscts', 'xonxoff']).default('none'),
      reopen: backoffSchema.default({ initialSeconds: 1, maxSeconds: 30, jitter: 0.2 }),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('gateway-listener'),
      listen: hostPort,
      allow: z.array(addressOrCidr).optional(),
      idleTimeoutSeconds: seconds.default(0),
      maxConnections: z.number().int().min(1).default(256),
      /** Bad packets kept for the status page. */
      badPacketLog: z.number().int().min(0).max(10_000).default(100),
      ...common,
    })
    .strict(),
  sqlPullSourceSchema,
]);

/** A name in a switch's `columns`: a cdr_custom CDR variable or a FreeSWITCH channel variable. */
export const COLUMN_NAME_RE = /^[A-Za-z0-9_]+$/;

/** The formats whose column order a switch's `columns` or `template` sets. */
export const COLUMN_FORMATS = ['asterisk-csv', 'freeswitch-csv'] as const;
type ColumnFormat = (typeof COLUMN_FORMATS)[number];
const isColumnFormat = (id: string | undefined): id is ColumnFormat => (COLUMN_FORMATS as readonly string[]).includes(id ?? '');

/** What `columns`/`template` select: the format and the order of its columns. */
export interface ColumnChoice {
  format?: string | undefined;
  formatFile?: string | undefined;
  columns?: readonly string[] | undefined;
  template?: string | undefined;
}

type ColumnKey = 'columns' | 'template';

/** A wrong use of the keys themselves: both given, or given for another format. */
function keyProblem(choice: ColumnChoice): { key: ColumnKey; message: string } | null {
  const keys = (['columns', 'template'] as const).filter((k) => choice[k] !== undefined);
  if (keys.length === 2) return { key: 'template', message: 'give either columns or template, not both' };
  const key = keys[0];
  // An unknown format is reported on its own key.
  if (key === undefined || isColumnFormat(choice.format) || (choice.format !== undefined && !hasFormat(choice.format))) return null;
  const what = choice.format !== undefined ? `format ${choice.format}` : 'a formatFile definition';
  return { key, message: `${key} is only for format asterisk-csv or freeswitch-csv, not ${what}` };
}

/** The format the columns make, or why they cannot make one; null when the switch sets neither key. */
function build(choice: ColumnChoice): { key: ColumnKey; format: Format } | { key: ColumnKey; error: string } | null {
  const key = choice.template !== undefined ? 'template' : choice.columns !== undefined ? 'columns' : null;
  if (key === null || !isColumnFormat(choice.format)) return null;
  const asterisk = choice.format === 'asterisk-csv';
  const columns = choice.template === undefined ? choice.columns! : asterisk ? columnsFromCustomTemplate(choice.template) : columnsFromTemplate(choice.template);
  if (columns.length === 0) {
    return { key, error: asterisk ? 'found no ${CDR(name)} columns in the cdr_custom mapping' : 'found no ${variable} columns in the template' };
  }
  try {
    return { key, format: asterisk ? asteriskCsvFormat(columns) : freeswitchCsvFormat(columns) };
  } catch (err) {
    // The factories name the required columns that are missing.
    if (err instanceof CalltrailError && err.code === 'CONFIG_INVALID') return { key, error: err.message };
    throw err;
  }
}

/** Problems of a switch's `columns`/`template`, each with the key it belongs to. */
export function columnProblems(choice: ColumnChoice): { key: ColumnKey; message: string }[] {
  const wrong = keyProblem(choice);
  if (wrong) return [wrong];
  const result = build(choice);
  return result && 'error' in result ? [{ key: result.key, message: result.error }] : [];
}

/**
 * The format a switch's `columns` or `template` make (asterisk-csv in a cdr_custom order,
 * freeswitch-csv for a cdr_csv template), or null when it sets neither. A problem is thrown as
 * CONFIG_INVALID whose details hold it under the key's name (`template`, `columns`).
 */
export function columnsFormat(choice: ColumnChoice): Format | null {
  const wrong = keyProblem(choice);
  const result = wrong ? { key: wrong.key, error: wrong.message } : build(choice);
  if (result === null) return null;
  if ('format' in result) return result.format;
  throw new CalltrailError('CONFIG_INVALID', `${result.key}: ${result.error}`, [{ path: result.key, message: result.error }]);
}

export const switchSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
    tenant: z.string().min(1).default('default'),
    format: z.string().refine(hasFormat, { error: (iss) => `unknown format "${String(iss.input)}"` }).optional(),
    formatFile: z.string().min(1).optional(),
    timezone: z.string().refine(isValidTimeZone, { error: (iss) => `unknown time zone "${String(iss.input)}"` }).default('UTC'),
    dialPlan: dialPlanSchema.default({}),
    /** asterisk-csv / freeswitch-csv: the site's column order, by name (cdr_custom / cdr_csv template variables). */
    columns: z.array(z.string().regex(COLUMN_NAME_RE, 'expected a column name (letters, digits and "_")')).min(1).optional(),
    /** asterisk-csv / freeswitch-csv: the line as written in cdr_custom.conf / cdr_csv.conf.xml; its columns are read from it. */
    template: z.string().min(1).optional(),
    sources: z.array(sourceSchema).default([]),
  })
  .strict()
  .refine((s) => (s.format === undefined) !== (s.formatFile === undefined), {
    message: 'give either format or formatFile',
    path: ['format'],
  })
  .superRefine((s, ctx) => {
    for (const p of columnProblems(s)) ctx.addIssue({ code: 'custom', message: p.message, path: [p.key] });
  });

export const configSchema = z
  .object({
    data: z.string().min(1).optional(),
    database: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
    server: z
      .object({
        port: listenPort.default(8080),
        host: z.string().default('0.0.0.0'),
        /**
         * SHA-256 digests (hex) of the tokens site collectors push with (`printf %s TOKEN | sha256sum`).
         * A plain token can come from CALLTRAIL_INGEST_TOKEN instead; none: POST /api/ingest is closed.
         */
        ingestTokens: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 digest of a token, 64 hex digits')).default([]),
      })
      .strict()
      .default({ port: 8080, host: '0.0.0.0', ingestTokens: [] }),
    collector: z
      .object({
        id: z.string().min(1).optional(),
        journal: z
          .object({
            /** Default: <data>/journal/<collector id>. */
            dir: z.string().min(1).optional(),
            /** "always": every record on disk before it is acknowledged; or at most every N ms (see README). */
            fsync: z.union([z.literal('always'), z.object({ intervalMs: z.number().int().min(1).max(60_000) }).strict()]).default('always'),
            segmentBytes: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024),
            keepCommittedSegments: z.number().int().min(0).default(0),
          })
          .strict()
          .default({ fsync: 'always', segmentBytes: 64 * 1024 * 1024, keepCommittedSegments: 0 }),
        /** Records per database transaction when the journal is drained. */
        batchSize: z.number().int().min(1).max(50_000).default(2000),
      })
      .strict()
      .default({ journal: { fsync: 'always', segmentBytes: 64 * 1024 * 1024, keepCommittedSegments: 0 }, batchSize: 2000 }),
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info') }).strict().default({ level: 'info' }),
    mail: z
      .object({
        host: z.string().min(1),
        port: port.default(25),
        secure: z.boolean().default(false),
        user: z.string().optional(),
        password: z.string().optional(),
        from: z.string().min(3),
      })
      .strict()
      .optional(),
    switches: z.array(switchSchema).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type SwitchConfig = z.infer<typeof switchSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type DialPlan = z.infer<typeof dialPlanSchema>;
