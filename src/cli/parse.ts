import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import type { Call } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { isValidTimeZone } from '../core/time.js';
import { COLUMN_FORMATS, COLUMN_NAME_RE, columnsFormat } from '../config/schema.js';
import { loadFormatFile } from '../formats/declarative/load.js';
import { detectFormat } from '../formats/detect.js';
import type { Format, ParseContext, ParseResult } from '../formats/format.js';
import { LegMerger, type LogicalCall } from '../formats/legs.js';
import { getFormat } from '../formats/registry.js';
import { sampleRecords } from '../formats/sample.js';
import { createFramer, type FramedRecord } from '../framing/framer.js';
import { normalizeCall } from '../pipeline/normalize.js';
import { fileSize } from '../transports/file.js';

interface ParseFlags {
  format: string;
  formatFile?: string;
  /** asterisk-csv / freeswitch-csv: a cdr_custom mapping or cdr_csv template, as in a switch's config. */
  template?: string;
  /** asterisk-csv / freeswitch-csv: the column names in order. */
  columns?: string[];
  tz: string;
  refDate?: string;
  mergeLegs?: boolean;
}

const HEAD_BYTES = 64 * 1024;

function write(text: string): Promise<void> | undefined {
  if (text === '' || process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

function callsText(calls: Call[]): string {
  let out = '';
  for (const call of calls) out += JSON.stringify(normalizeCall(call, {})) + '\n';
  return out;
}

/** A logical call: the merged call, with its legs listed under `legs`. */
function logicalText(logical: LogicalCall[]): string {
  let out = '';
  for (const l of logical) out += JSON.stringify({ ...normalizeCall(l.call, {}), legs: l.legs.map((leg) => normalizeCall(leg, {})) }) + '\n';
  return out;
}

/** Reads the first chunks of a stream (for detection) and hands back an iterator over all of it. */
async function withHead(input: AsyncIterable<string>): Promise<{ head: string; chunks: AsyncIterable<string> }> {
  const iterator = input[Symbol.asyncIterator]();
  const first: string[] = [];
  let size = 0;
  let done = false;
  while (size < HEAD_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    first.push(next.value);
    size += next.value.length;
  }
  async function* all(): AsyncGenerator<string> {
    yield* first;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head: first.join(''), chunks: all() };
}

/** The format --template or --columns make, checked as a switch's `template`/`columns` are; null without them. */
function columnsOption(flags: ParseFlags): Format | null {
  if (flags.template === undefined && flags.columns === undefined) return null;
  const option = flags.template !== undefined ? '--template' : '--columns';
  if (flags.template !== undefined && flags.columns !== undefined) throw new CalltrailError('USAGE', '--template: give --template or --columns, not both');
  if (flags.formatFile !== undefined) throw new CalltrailError('USAGE', `${option}: give --format-file or ${option}, not both`);
  if (!(COLUMN_FORMATS as readonly string[]).includes(flags.format)) {
    throw new CalltrailError('USAGE', `${option}: give --format ${COLUMN_FORMATS.join(' or --format ')}`);
  }
  const badName = flags.columns?.find((c) => !COLUMN_NAME_RE.test(c));
  if (badName !== undefined) throw new CalltrailError('USAGE', `--columns: "${badName}" is not a column name (letters, digits and "_")`);
  try {
    return columnsFormat({ format: flags.format, template: flags.template, columns: flags.columns });
  } catch (err) {
    if (err instanceof CalltrailError && err.code === 'CONFIG_INVALID') throw new CalltrailError('USAGE', `${option}: ${(err.details as { message: string }[])[0]!.message}`);
    throw err;
  }
}

export async function runParse(file: string | undefined, flags: ParseFlags): Promise<void> {
  if (!isValidTimeZone(flags.tz)) throw new CalltrailError('USAGE', `--tz: unknown time zone "${flags.tz}"`);
  if (flags.refDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.refDate)) {
    throw new CalltrailError('USAGE', `--ref-date: "${flags.refDate}" is not YYYY-MM-DD`);
  }
  if (flags.formatFile !== undefined && flags.format !== 'auto') {
    throw new CalltrailError('USAGE', '--format-file: give --format or --format-file, not both');
  }
  // A declarative definition or a column order is loaded (and its problems listed) before any input is read.
  const declared = columnsOption(flags) ?? (flags.formatFile !== undefined ? loadFormatFile(flags.formatFile) : null);
  const fromFile = file !== undefined && file !== '-';
  if (fromFile) fileSize(file);
  const input = fromFile ? createReadStream(file, { encoding: 'utf8' }) : process.stdin.setEncoding('utf8');
  const { head, chunks } = await withHead(input as AsyncIterable<string>);
  if (head.trim() === '') return; // empty input: no calls, nothing to detect

  let format: Format;
  if (declared) {
    format = declared;
  } else if (flags.format === 'auto') {
    format = detectFormat(sampleRecords(head), fromFile ? file : 'standard input').format;
    process.stderr.write(JSON.stringify({ detected: format.id }) + '\n');
  } else {
    format = getFormat(flags.format);
  }
  const ctx: ParseContext = { timeZone: flags.tz, referenceDate: flags.refDate ?? new Date().toISOString().slice(0, 10) };
  const parser = format.createParser(ctx);
  const assembler = format.createAssembler?.(ctx) ?? null;
  const framer = createFramer(format.framing);
  // --merge-legs: one object per logical call, for formats that write one record per leg.
  const merger = flags.mergeLegs && format.legKeys ? new LegMerger(format.legKeys) : null;
  const emit = (calls: Call[]): string => (merger ? logicalText(calls.flatMap((c) => merger.push(c))) : callsText(calls));

  /** The parse of one record as NDJSON text; errors go to stderr as they happen. */
  const handle = (record: FramedRecord): string => {
    let result: ParseResult;
    if (record.truncated) {
      result = { kind: 'error', error: `record longer than ${record.text.length} bytes` };
    } else {
      try {
        result = parser(record.text);
      } catch (err) {
        result = { kind: 'error', error: `parser failed: ${(err as Error).message}` };
      }
    }
    if (result.kind === 'call') return emit([result.call]);
    if (result.kind === 'event' && assembler) return emit(assembler.push(result.event));
    if (result.kind === 'error') {
      process.stderr.write(JSON.stringify({ line: record.line, error: result.error, raw: record.text.slice(0, 200) }) + '\n');
    }
    return '';
  };
  for await (const chunk of chunks) await write(framer.push(chunk).map(handle).join(''));
  await write(framer.end().map(handle).join(''));
  if (assembler) await write(emit(assembler.flush()));
  if (merger) await write(logicalText(merger.flush()));
}

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('parse records from a file (or - for standard input) and print one JSON call per line')
    .argument('[file]', 'the file to read; - or nothing for standard input')
    .option('--format <id>', 'format id, or auto to detect it', 'auto')
    .option('--format-file <file>', 'a declarative format definition (YAML) to read the records with, instead of --format')
    .option('--template <text>', 'asterisk-csv: a cdr_custom.conf mapping line; freeswitch-csv: a cdr_csv.conf.xml template (the column order to read)')
    .option('--columns <names>', 'asterisk-csv / freeswitch-csv: the column names in order, comma-separated', (v: string) => v.split(',').map((c) => c.trim()))
    .option('--tz <iana>', "the switch's time zone", 'UTC')
    .option('--ref-date <YYYY-MM-DD>', 'the day the records were received (for formats whose dates have no year)')
    .option('--merge-legs', 'one object per logical call (its legs listed under "legs") for multi-leg CDR formats')
    .action(async (file: string | undefined, flags: ParseFlags) => runParse(file, flags));
}
