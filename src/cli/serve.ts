import type { Command } from 'commander';
import { CalltrailError } from '../core/errors.js';
import { logger } from '../core/log.js';
import { startCollector } from '../collector/collector.js';
import { createDemo, DEMO_COLLECTOR_ID, removeDemoData } from '../collector/demo.js';
import { CallBus } from '../pipeline/bus.js';
import { Pricing } from '../pipeline/pricing.js';
import { syncSwitches } from '../pipeline/switches.js';
import { tokenDigest } from '../server/routes/ingest.js';
import { buildApp } from '../server/app.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { loadConfigFrom, parsePortOption, type StoreFlags } from './common.js';
import { VERSION } from './version.js';

const log = logger('serve');

interface ServeFlags extends StoreFlags {
  port?: number;
  host?: string;
  demo: boolean;
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
export function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the web UI, the API and the collectors on one database')
    .option('--config <file>', 'configuration file (default ./calltrail.yaml when present)')
    .option('--data <dir>', 'embedded database directory (default ./data)')
    .option('--database <url>', 'PostgreSQL URL instead of the embedded database')
    .option('--port <n>', 'HTTP port (default 8080)', parsePortOption)
    .option('--host <addr>', 'address to listen on')
    .option('--no-demo', 'with no configuration, start empty instead of with simulated demo PBXs')
    .action(async (flags: ServeFlags) => {
      const loaded = loadConfigFrom(flags);
      // No configuration at all: a newcomer's first start. Simulated PBXs show calls arriving at once.
      const demo = flags.demo && loaded.file === null && loaded.config.switches.length === 0 ? await createDemo() : null;
      const config = demo ? { ...loaded.config, switches: demo.switches, collector: { ...loaded.config.collector, id: DEMO_COLLECTOR_ID } } : loaded.config;
      const database = await openDatabase({ data: config.data, url: config.database, purpose: 'calltrail serve' });
      let collector: Awaited<ReturnType<typeof startCollector>> | null = null;
      try {
        await migrate(database);
        if (!demo) {
          const removed = await removeDemoData(database, config);
          if (removed.switches > 0) process.stderr.write(`calltrail: the demo is over: removed its ${removed.switches} switch(es) and their ${removed.calls} call(s)\n`);
        }
        const switches = (await Pricing.load(database)).attachTo(await syncSwitches(database, config, { configFile: loaded.file }));
        const bus = new CallBus();
        // The demo's PBXs first: the one our TCP client calls must be listening (the others retry).
        demo?.start();
        collector = await startCollector(database, config, switches, { bus });
        if (demo) {
          process.stderr.write(
            `calltrail: DEMO MODE: no calltrail.yaml, so simulated PBXs (${demo.switches.map((s) => s.name).join(', ')}) send calls on loopback. ` +
              'Write a calltrail.yaml (see calltrail.example.yaml) or start with --no-demo to turn it off.\n',
          );
        }
        const tokenDigests = [...config.server.ingestTokens, ...(process.env.CALLTRAIL_INGEST_TOKEN ? [tokenDigest(process.env.CALLTRAIL_INGEST_TOKEN)] : [])];
        const app = await buildApp({ database, bus, version: VERSION, ingest: { switches, tokenDigests } });
        const host = flags.host ?? config.server.host;
        await app.listen({ port: config.server.port, host }).catch((err: NodeJS.ErrnoException) => {
          const why = err.code === 'EADDRINUSE' ? 'the address is in use (another calltrail serve?)' : err.message;
          throw new CalltrailError('TRANSPORT', `cannot serve HTTP on ${host}:${config.server.port}: ${why}; choose another with --port`);
        });
        const address = app.server.address();
        const port = typeof address === 'object' && address ? address.port : config.server.port;
        process.stderr.write(
          `calltrail ${VERSION} serving http://${host === '0.0.0.0' ? 'localhost' : host}:${port} ` +
            `(${database.engine}: ${database.location}, ${switches.size} switch(es))\n`,
        );
        const signal = await untilStopped();
        log.info({ signal }, 'stopping');
        await demo?.stop();
        await app.close();
        await collector.stop();
      } catch (err) {
        // Nothing may keep the process alive after a failed start (a port in use, say).
        await demo?.stop();
        await collector?.stop().catch(() => undefined);
        throw err;
      } finally {
        await database.close();
      }
    });
}
