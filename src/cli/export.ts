import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Call } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { csvField } from '../framing/csv.js';
import { CallsRepository, type CallFilter, type PageCursor } from '../store/calls-repository.js';
import type { Database } from '../store/database.js';
import { ALL_TENANTS, tenantScope } from '../store/scope.js';
import { loadConfigFrom, parseDateOption, withStore, type StoreFlags } from './common.js';

const CSV_COLUMNS = [
  'switch', 'format', 'callId', 'direction', 'startedAt', 'answeredAt', 'endedAt', 'ringSeconds', 'talkSeconds', 'holdSeconds',
  'durationSeconds', 'disposition', 'callerNumber', 'callerName', 'dialedNumber', 'calledNumber', 'extension', 'trunk',
  'accountCode', 'transferredTo', 'answeredBy', 'hangupCause', 'extra', 'raw',
] as const;
const PAGE = 5000;

function csvLine(switchName: string, call: Call): string {
  const values = CSV_COLUMNS.map((col) => {
    if (col === 'switch') return switchName;
    if (col === 'extra') return JSON.stringify(call.extra);
    return call[col];
  });
  return values.map((v) => csvField(v)).join(',') + '\r\n';
}

async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

/** Streams the calls matching the filter, a page at a time, as CSV or NDJSON. Returns the count. */
export async function exportCalls(database: Database, out: Writable, format: 'csv' | 'ndjson', filter: CallFilter, tenant?: string): Promise<number> {
  const repo = new CallsRepository(database);
  const scope = tenant ? tenantScope(tenant) : ALL_TENANTS;
  if (format === 'csv') await put(out, CSV_COLUMNS.join(',') + '\r\n');
  let cursor: PageCursor | null = null;
  let count = 0;
  for (;;) {
    const page = await repo.page(scope, filter, cursor, PAGE);
    if (page.length === 0) break;
    let text = '';
    for (const row of page) {
      text += format === 'csv' ? csvLine(row.switchName, row.call) : JSON.stringify({ switch: row.switchName, ...row.call }) + '\n';
    }
    await put(out, text);
    count += page.length;
    const last = page[page.length - 1]!;
    cursor = { startedAt: last.startedAt, id: last.id };
  }
  return count;
}

interface ExportFlags extends StoreFlags {
  format: string;
  from?: Date;
  to?: Date;
  switch?: string;
  tenant?: string;
  output?: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write stored calls as CSV or NDJSON (streamed, any size)')
    .option('--format <fmt>', 'csv or ndjson', 'csv')
    .option('--from <date>', 'calls that started at or after this date/time', parseDateOption)
    .option('--to <date>', 'calls that started before this date/time', parseDateOption)
    .option('--switch <name>', 'only this switch')
    .option('--tenant <id>', 'only this tenant')
    .option('--output <file>', 'write to a file instead of standard output')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (flags: ExportFlags) => {
      if (flags.format !== 'csv' && flags.format !== 'ndjson') {
        throw new CalltrailError('USAGE', `--format: "${flags.format}" is not csv or ndjson`);
      }
      const format = flags.format;
      const loaded = loadConfigFrom(flags);
      await withStore(loaded, 'calltrail export', async (database) => {
        const out = flags.output ? createWriteStream(flags.output) : process.stdout;
        const count = await exportCalls(database, out, format, { from: flags.from, to: flags.to, switchName: flags.switch }, flags.tenant);
        if (flags.output) {
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
          process.stderr.write(`exported ${count} calls to ${flags.output}\n`);
        }
      });
    });
}
