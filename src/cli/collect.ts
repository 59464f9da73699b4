import type { Command } from 'commander';
import { startCollector } from '../collector/collector.js';
import type { RecordTrace } from '../pipeline/ingest.js';
import { syncSwitches } from '../pipeline/switches.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';
import { untilStopped } from './serve.js';

interface CollectFlags extends StoreFlags {
  debug?: boolean;
}

function describe(trace: RecordTrace): string {
  const r = trace.result;
  const head = `[${trace.switchName}/${trace.source} #${trace.sequence}] ${JSON.stringify(trace.raw)}\n`;
  switch (r.kind) {
    case 'call':
      return `${head}  → call ${r.call.callId ?? ''} ${r.call.direction} ${r.call.startedAt} ${r.call.callerNumber ?? '-'} → ${r.call.calledNumber ?? '-'} talk ${r.call.talkSeconds}s ${r.call.disposition}\n`;
    case 'event':
      return `${head}  → event ${r.event.event} of call ${r.event.callRef}\n`;
    case 'skip':
      return `${head}  → skipped: ${r.reason}\n`;
    case 'error':
      return `${head}  → failed: ${r.error} (kept in the journal)\n`;
  }
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description("run the configured sources: journal, parse and store every record the switches send")
    .option('--config <file>', 'configuration file (default ./calltrail.yaml when present)')
    .option('--data <dir>', 'embedded database directory')
    .option('--database <url>', 'PostgreSQL URL')
    .option('--debug', 'print every record, its parse and where it went')
    .action(async (flags: CollectFlags) => {
      const loaded = loadConfigFrom(flags);
      await withStore(loaded, 'calltrail collect', async (database) => {
        const switches = await syncSwitches(database, loaded.config, { configFile: loaded.file });
        const collector = await startCollector(database, loaded.config, switches, {
          ...(flags.debug
            ? {
                onRecord: (trace: RecordTrace) => process.stdout.write(describe(trace)),
                onCommit: (inserted: number, duplicates: number) =>
                  process.stdout.write(`  ⇒ batch committed: ${inserted} new call(s), ${duplicates} duplicate(s)\n`),
              }
            : {}),
        });
        process.stderr.write(`calltrail collector ${collector.id} running (${database.engine}: ${database.location}); Ctrl-C to stop\n`);
        await untilStopped();
        await collector.stop();
      });
    });
}
