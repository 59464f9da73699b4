import { z } from 'zod';
import { isRowField } from '../../formats/sql-row/fields.js';
import { PRESET_NAMES } from './presets.js';

// The config of one SQL pull source: which engine and table, how its columns map onto our fields,
// which column orders the rows, and how often and how much to read.

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/, 'expected a column or table name (letters, digits, "_"; "schema.table" for a table)');

export const sqlPullSourceSchema = z
  .object({
    type: z.literal('sql'),
    name: z.string().min(1).optional(),
    enabled: z.boolean().default(true),
    engine: z.enum(['sqlite', 'mysql', 'postgres']),
    /** mysql://user:pw@host:3306/db or postgres://user:pw@host:5432/db. */
    url: z.string().min(1).optional(),
    /** The SQLite file. */
    path: z.string().min(1).optional(),
    /** Default: the preset's table. */
    table: identifier.optional(),
    preset: z.enum(PRESET_NAMES).optional(),
    /** Our field → a source column name or an SQL expression; merged over the preset's mapping (an empty string removes a field). */
    mapping: z.record(z.string(), z.string()).optional(),
    /** The column that orders the rows: a unique, increasing id where the table has one. */
    key: identifier.optional(),
    /** With a key that is not unique (a time): the column that breaks ties (Asterisk uniqueid). */
    tieKey: identifier.optional(),
    /** An SQL condition every pulled row must meet, e.g. "method = 'INVITE'". It must not change for a row once written. */
    where: z.string().min(1).optional(),
    batchSize: z.number().int().min(1).max(50_000).default(1000),
    pollSeconds: z.number().positive().max(3600).default(5),
    /**
     * Rows that appear late below the mark (Asterisk writes a call's row when it ends, dated when it
     * began; concurrent inserts commit out of id order) are still taken if they are within this much
     * of the mark: seconds for a date/time key, ids for a numeric key. 0: off. Default: the preset's.
     */
    lookback: z.number().min(0).max(7 * 86400).optional(),
    /** CDR-Pusher's mode: pull rows WHERE flagColumn = 0 and set it to 1 once stored. Never added by us. */
    flagColumn: identifier.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.engine === 'sqlite' && !s.path) ctx.addIssue({ code: 'custom', path: ['path'], message: 'an sqlite source needs path: the database file' });
    if (s.engine !== 'sqlite' && !s.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${s.engine} source needs url: ${s.engine}://user:password@host/database` });
    if (s.url && !new RegExp(`^(${s.engine === 'postgres' ? 'postgres|postgresql' : 'mysql|mariadb'})://`).test(s.url)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `expected a ${s.engine === 'postgres' ? 'postgres://' : 'mysql://'} URL` });
    }
    if (!s.preset && !s.table) ctx.addIssue({ code: 'custom', path: ['table'], message: 'give table (or a preset that names it)' });
    if (!s.preset && !s.key) ctx.addIssue({ code: 'custom', path: ['key'], message: 'give key: the column that orders the rows (or a preset)' });
    if (!s.preset && !s.mapping) ctx.addIssue({ code: 'custom', path: ['mapping'], message: 'give mapping: our fields → source columns (or a preset)' });
    for (const field of Object.keys(s.mapping ?? {})) {
      if (!isRowField(field)) ctx.addIssue({ code: 'custom', path: ['mapping', field], message: `"${field}" is not a call field (startedAt, callerNumber … or extra.<name>)` });
    }
  });

export type SqlPullSourceConfig = z.infer<typeof sqlPullSourceSchema>;
