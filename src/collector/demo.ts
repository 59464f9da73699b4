import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, SwitchConfig } from '../config/schema.js';
import { switchSchema } from '../config/schema.js';
import { logger } from '../core/log.js';
import { getFormat } from '../formats/registry.js';
import { simulate, START_COMMANDS, type RecordSink } from '../simulate/simulator.js';
import type { Database } from '../store/database.js';
import { ALL_TENANTS } from '../store/scope.js';
import { SwitchesRepository } from '../store/switches-repository.js';
import { freePort } from '../transports/transport.js';

// `calltrail serve` with no configuration at all: a clearly marked demo. Simulated PBXs of three
// formats send a call every few seconds, as real ones do: two push to a TCP server source of ours,
// one (a Mitel 5000) waits for our TCP client and its start command. Everything on loopback.

const log = logger('demo');

interface DemoPbx {
  switchName: string;
  format: string;
  timeZone: string;
  /** push: the PBX connects to our tcp-server source; listen: our tcp-client connects to it. */
  mode: 'push' | 'listen';
}

/** A demo PBX and the loopback port it talks on. */
interface DemoPbxAt extends DemoPbx {
  port: number;
}

const DEMO_PBXS: readonly DemoPbx[] = [
  { switchName: 'demo-panasonic', format: 'panasonic', timeZone: 'Europe/London', mode: 'push' },
  { switchName: 'demo-mitel', format: 'mitel-cs5000', timeZone: 'America/Chicago', mode: 'listen' },
  { switchName: 'demo-avaya', format: 'avaya-ipo', timeZone: 'Europe/Berlin', mode: 'push' },
];

/** The demo's collector has a journal of its own, which a configuration used later never reads. */
export const DEMO_COLLECTOR_ID = 'demo';

export interface Demo {
  switches: SwitchConfig[];
  /** Starts the PBXs (after the collector runs, so the pushing ones find their listener). */
  start(): void;
  stop(): Promise<void>;
}


/** A sink over a socket that stays open between calls. */
function socketSink(socket: net.Socket): RecordSink {
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (socket.destroyed) return reject(new Error('connection closed'));
        socket.write(chunk, (err) => (err ? reject(err) : resolve(true)));
      }),
    close: async () => undefined,
  };
}

export async function createDemo(): Promise<Demo> {
  const pbxs: DemoPbxAt[] = [];
  for (const pbx of DEMO_PBXS) pbxs.push({ ...pbx, port: await freePort() });
  const countries: Record<string, string> = { 'Europe/London': 'GB', 'America/Chicago': 'US', 'Europe/Berlin': 'DE' };
  const switches = pbxs.map((p) =>
    switchSchema.parse({
      name: p.switchName,
      format: p.format,
      timezone: p.timeZone,
      dialPlan: { country: countries[p.timeZone] },
      sources: [
        p.mode === 'push'
          ? { type: 'tcp-server', name: 'demo-pbx', listen: `127.0.0.1:${p.port}` }
          : { type: 'tcp-client', name: 'demo-pbx', host: '127.0.0.1', port: p.port, startBytes: '02 00 00 00 84 00', reconnect: { initialSeconds: 1, maxSeconds: 5 } },
      ],
    }),
  );

  const abort = new AbortController();
  const running: Promise<void>[] = [];
  const servers: net.Server[] = [];

  /** Sends a call now and then until the socket closes or the demo stops. */
  async function talk(pbx: DemoPbx, socket: net.Socket, seed: number): Promise<void> {
    const format = getFormat(pbx.format);
    const sink = socketSink(socket);
    for (let round = 0; !abort.signal.aborted && !socket.destroyed; round++) {
      await simulate({ format, count: 1, seed: seed + round, timeZone: pbx.timeZone, now: Date.now() }, sink);
      await sleep(2000 + Math.random() * 5000, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    socket.destroy();
  }

  async function pushLoop(pbx: DemoPbxAt, seed: number): Promise<void> {
    while (!abort.signal.aborted) {
      const socket = net.connect({ host: '127.0.0.1', port: pbx.port });
      socket.on('error', () => socket.destroy());
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('close', () => resolve()));
      await talk(pbx, socket, seed).catch(() => undefined);
      socket.destroy();
      await sleep(1000, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  function listenPbx(pbx: DemoPbxAt, seed: number): void {
    const start = Buffer.from(START_COMMANDS[pbx.format] ?? new Uint8Array());
    const server = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      let received = Buffer.alloc(0);
      const onData = (data: Buffer): void => {
        received = Buffer.concat([received, data]).subarray(-64);
        if (start.length > 0 && received.indexOf(start) < 0) return;
        socket.off('data', onData);
        socket.resume();
        running.push(talk(pbx, socket, seed).catch(() => undefined));
      };
      socket.on('data', onData);
      if (start.length === 0) onData(Buffer.alloc(0));
    });
    server.listen(pbx.port, '127.0.0.1');
    server.on('error', (err) => log.warn({ err, switch: pbx.switchName }, 'demo PBX could not listen'));
    servers.push(server);
  }

  return {
    switches,
    start() {
      pbxs.forEach((pbx, i) => {
        const seed = Date.now() % 100_000 + i * 1_000_000;
        if (pbx.mode === 'push') running.push(pushLoop(pbx, seed));
        else listenPbx(pbx, seed);
      });
    },
    async stop() {
      abort.abort();
      for (const server of servers) server.close();
      await Promise.all(running);
    },
  };
}

/**
 * Once a configuration is in use (or --no-demo), what an earlier demo stored goes: its switches
 * (unless the configuration names them), their calls, and the demo collector's journal and row.
 * Returns how many switches and calls were removed.
 */
export async function removeDemoData(database: Database, config: Config): Promise<{ switches: number; calls: number }> {
  const configured = new Set(config.switches.map((s) => s.name));
  const switches = new SwitchesRepository(database);
  let removed = 0;
  let calls = 0;
  for (const row of await switches.list(ALL_TENANTS)) {
    const demo = DEMO_PBXS.some((p) => p.switchName === row.name && p.format === row.format);
    if (!demo || configured.has(row.name)) continue;
    calls += await switches.remove(row.id);
    removed++;
  }
  await database.db.deleteFrom('collectors').where('id', '=', DEMO_COLLECTOR_ID).execute();
  const journal = join(config.data ?? 'data', 'journal', DEMO_COLLECTOR_ID);
  if (existsSync(journal)) rmSync(journal, { recursive: true, force: true });
  return { switches: removed, calls };
}
