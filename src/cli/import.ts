import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { DialPlan } from '../config/schema.js';
import { CalltrailError } from '../core/errors.js';
import { isValidTimeZone } from '../core/time.js';
import type { Format } from '../formats/format.js';
import { getFormat } from '../formats/registry.js';
import { Ingestor, type CallPricer } from '../pipeline/ingest.js';
import { Pricing } from '../pipeline/pricing.js';
import { syncSwitches } from '../pipeline/switches.js';
import type { Database } from '../store/database.js';
import { ALL_TENANTS } from '../store/scope.js';
import { SwitchesRepository } from '../store/switches-repository.js';
import { fileSize, readFileRecords } from '../transports/file.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';

export interface ImportOptions {
  format: string;
  /** The configured switch's Format (its own column order or definition); default: the registry's format of that id. */
  switchFormat?: Format | undefined;
  switchName: string;
  /** For a switch not known yet. */
  timeZone?: string | undefined;
  tenant?: string | undefined;
  dialPlan?: DialPlan | undefined;
  /** Rates and annotates each call (src/pipeline/pricing.ts); none: calls are stored unrated. */
  pricing?: CallPricer | undefined;
  progress?: boolean;
  onRejected?: (line: number, reason: string) => void;
}

export interface ImportSummary {
  imported: number;
  duplicates: number;
  rejected: number;
}

const IMPORT_BATCH = 10_000;

/** Imports a file of records into the store; rejected records stay in the journal with their errors. */
export async function importFile(database: Database, file: string, options: ImportOptions): Promise<ImportSummary> {
  const format = options.switchFormat?.id === options.format ? options.switchFormat : getFormat(options.format);
  const size = fileSize(file);
  const repo = new SwitchesRepository(database);
  let row = await repo.findByName(ALL_TENANTS, options.switchName);
  if (row && row.format !== format.id) {
    throw new CalltrailError(
      'USAGE',
      `switch "${options.switchName}" reads format ${row.format}, not ${format.id}; import with --format ${row.format} or name another switch`,
    );
  }
  row ??= await repo.upsert({
    name: options.switchName,
    tenant: options.tenant ?? 'default',
    format: format.id,
    timezone: options.timeZone ?? 'UTC',
    dialPlan: options.dialPlan ?? {},
  });
  const ingestor = new Ingestor(database, {
    maxBatch: IMPORT_BATCH,
    maxDelayMs: 60_000,
    onRecord: (trace) => {
      if (trace.result.kind === 'error') options.onRejected?.(trace.sequence, trace.result.error);
    },
  });
  const dialPlan = options.dialPlan ?? (row.dialPlan as DialPlan);
  const stream = ingestor.openStream({ row, format, dialPlan, ...(options.pricing ? { pricing: options.pricing } : {}) }, `import:${basename(file)}`);
  const bar =
    options.progress && size > 0
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: 'importing [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s' },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(size, 0);
  const receivedAt = new Date();
  try {
    await readFileRecords(
      file,
      (record) =>
        stream.ingest(record.text, {
          receivedAt,
          sequence: record.line,
          ...(record.truncated ? { truncatedAt: record.text.length } : {}),
        }),
      { framing: format.framing, onProgress: (bytes) => bar?.update(bytes) },
    );
    await ingestor.close();
  } finally {
    bar?.stop();
  }
  const { inserted, duplicates, failed } = ingestor.stats;
  return { imported: inserted, duplicates, rejected: failed };
}

interface ImportFlags extends StoreFlags {
  format: string;
  switch: string;
  tz?: string;
  tenant?: string;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import a file of call records into the store')
    .argument('<file>', 'the file to import')
    .requiredOption('--format <id>', 'format of the file')
    .requiredOption('--switch <name>', 'the switch the records come from (created when new)')
    .option('--tz <iana>', "time zone of a new switch's clock (default UTC)")
    .option('--tenant <id>', 'tenant of a new switch', 'default')
    .option('--config <file>', 'configuration file')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .action(async (file: string, flags: ImportFlags) => {
      if (flags.tz !== undefined && !isValidTimeZone(flags.tz)) throw new CalltrailError('USAGE', `--tz: unknown time zone "${flags.tz}"`);
      getFormat(flags.format);
      fileSize(file);
      const loaded = loadConfigFrom(flags);
      const summary = await withStore(loaded, 'calltrail import', async (database) => {
        const switches = await syncSwitches(database, loaded.config, { configFile: loaded.file });
        const configured = loaded.config.switches.find((s) => s.name === flags.switch);
        return importFile(database, file, {
          format: flags.format,
          switchFormat: switches.get(flags.switch)?.format,
          switchName: flags.switch,
          timeZone: flags.tz,
          tenant: flags.tenant,
          dialPlan: configured?.dialPlan,
          pricing: await Pricing.load(database),
          progress: process.stderr.isTTY,
          onRejected: (line, reason) => process.stderr.write(`${file}:${line}: rejected: ${reason}\n`),
        });
      });
      process.stdout.write(`imported ${summary.imported}, duplicates ${summary.duplicates}, rejected ${summary.rejected}\n`);
    });
}
