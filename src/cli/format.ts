import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CalltrailError } from '../core/errors.js';
import { isValidTimeZone } from '../core/time.js';
import type { DeclarativeFormat } from '../formats/declarative/compile.js';
import { loadFormatFile } from '../formats/declarative/load.js';
import type { ParseContext, ParseResult } from '../formats/format.js';
import { createFramer } from '../framing/framer.js';
import { fileSize } from '../transports/file.js';
import { printProblems } from './common.js';

// `calltrail format check|test`: try a declarative definition on sample records before a switch
// uses it. Samples come from a file, standard input, or the definition's own `samples:`.

interface TestFlags {
  tz: string;
  refDate?: string;
}

export interface FormatTestReport {
  text: string;
  calls: number;
  skipped: number;
  errors: number;
}

function describe(line: number, result: ParseResult): string {
  switch (result.kind) {
    case 'call': {
      const { raw: _raw, ...call } = result.call;
      return `${line}: call ${JSON.stringify(call)}\n`;
    }
    case 'event':
      return `${line}: event ${JSON.stringify({ ...result.event, raw: undefined })}\n`;
    case 'skip':
      return `${line}: skip (${result.reason})\n`;
    case 'error':
      return `${line}: ERROR ${result.error}\n`;
  }
}

/** Parses records with a definition and describes each one: its call, why it was skipped, or its error. */
export function testFormat(format: DeclarativeFormat, input: string, ctx: ParseContext): FormatTestReport {
  const parser = format.createParser(ctx);
  const framer = createFramer(format.framing);
  const report: FormatTestReport = { text: '', calls: 0, skipped: 0, errors: 0 };
  for (const record of [...framer.push(input), ...framer.end()]) {
    const result: ParseResult = record.truncated ? { kind: 'error', error: `record longer than ${record.text.length} bytes` } : parser(record.text);
    if (result.kind === 'call') report.calls++;
    else if (result.kind === 'skip') report.skipped++;
    else if (result.kind === 'error') report.errors++;
    report.text += describe(record.line, result);
  }
  const total = report.calls + report.skipped + report.errors;
  report.text += `${total} record(s): ${report.calls} call(s), ${report.skipped} skipped, ${report.errors} error(s)\n`;
  return report;
}

function readInput(file: string | undefined, format: DeclarativeFormat): string {
  if (file === undefined) {
    if (format.definition.samples.length === 0) {
      throw new CalltrailError('USAGE', 'give a file of sample records (or - for standard input), or list them under samples: in the definition');
    }
    return format.definition.samples.join('\n') + '\n';
  }
  if (file === '-') return readFileSync(0, 'utf8');
  fileSize(file);
  return readFileSync(file, 'utf8');
}

/** Loads a definition and hands it to `use`; its problems are printed like `calltrail config check` does. */
function withDefinition(file: string, use: (format: DeclarativeFormat) => void): void {
  let format: DeclarativeFormat;
  try {
    format = loadFormatFile(file);
  } catch (err) {
    if (printProblems(file, err)) return;
    throw err;
  }
  use(format);
}

export function registerFormat(program: Command): void {
  const command = program.command('format').description('declarative format definitions (YAML) for PBXs without a built-in format');
  command
    .command('check')
    .description('validate a definition: every problem listed with its path and line')
    .argument('<definition>', 'the definition file (YAML)')
    .action((file: string) =>
      withDefinition(file, (format) => {
        const d = format.definition;
        process.stdout.write(`${file}: ok (${d.id}: ${d.layout.kind} layout, ${d.samples.length} sample(s))\n`);
      }),
    );
  command
    .command('test')
    .description("parse sample records with a definition and print each one's call, skip or error")
    .argument('<definition>', 'the definition file (YAML)')
    .argument('[file]', "records to try; - for standard input; nothing for the definition's samples")
    .option('--tz <iana>', "the switch's time zone", 'UTC')
    .option('--ref-date <YYYY-MM-DD>', 'the day the records were received (for dates without a year)')
    .action((definition: string, file: string | undefined, flags: TestFlags) => {
      if (!isValidTimeZone(flags.tz)) throw new CalltrailError('USAGE', `--tz: unknown time zone "${flags.tz}"`);
      if (flags.refDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.refDate)) {
        throw new CalltrailError('USAGE', `--ref-date: "${flags.refDate}" is not YYYY-MM-DD`);
      }
      withDefinition(definition, (format) => {
        const ctx: ParseContext = { timeZone: flags.tz, referenceDate: flags.refDate ?? new Date().toISOString().slice(0, 10) };
        const report = testFormat(format, readInput(file, format), ctx);
        process.stdout.write(report.text);
        if (report.errors > 0) process.exitCode = 1;
      });
    });
}
