import type { Command } from 'commander';
import { startCollector } from '../collector/collector.js';
import type { RecordTrace } from '../pipeline/ingest.js';
import { startPushCollector } from '../collector/push.js';
import { CalltrailError } from '../core/errors.js';
import { Pricing } from '../pipeline/pricing.js';
import { configuredSwitches, syncSwitches } from '../pipeline/switches.js';
import { loadConfigFrom, withStore, type StoreFlags } from './common.js';
import { untilStopped } from './serve.js';

interface CollectFlags extends StoreFlags {
  debug?: boolean;
  push?: string;
  token?: string;
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
    .option('--push <url>', 'site collector: ship the journal to the Calltrail server at URL instead of a database')
    .option('--token <token>', 'the token the server accepts (or set CALLTRAIL_PUSH_TOKEN)')
    .action(async (flags: CollectFlags) => {
      const loaded = loadConfigFrom(flags);
      if (flags.push) {
        const token = flags.token ?? process.env.CALLTRAIL_PUSH_TOKEN;
        if (!token) throw new CalltrailError('USAGE', '--push needs --token TOKEN (or CALLTRAIL_PUSH_TOKEN)');
        if (flags.debug) throw new CalltrailError('USAGE', '--debug shows parses, which a pushing collector leaves to the server; run it without --push');
        let url: URL;
        try {
          url = new URL(flags.push);
        } catch {
          throw new CalltrailError('USAGE', `--push "${flags.push}" is not a URL such as https://calltrail.example.com`);
        }
        const collector = await startPushCollector(loaded.config, configuredSwitches(loaded.config, { configFile: loaded.file }), { url: url.toString(), token });
        process.stderr.write(`calltrail collector ${collector.id} running, pushing to ${url.origin} (journal ${collector.status().journal.dir}); Ctrl-C to stop\n`);
        await untilStopped();
        await collector.stop();
        return;
      }
      await withStore(loaded, 'calltrail collect', async (database) => {
        const switches = (await Pricing.load(database)).attachTo(await syncSwitches(database, loaded.config, { configFile: loaded.file }));
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
