import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../config/schema.js';
import { getFormat } from '../formats/registry.js';
import { CallBus } from '../pipeline/bus.js';
import { configuredSwitches, syncSwitches } from '../pipeline/switches.js';
import { buildApp } from '../server/app.js';
import { tokenDigest } from '../server/routes/ingest.js';
import { generateCalls } from '../simulate/generate.js';
import { connectSink, frameRecord, simulate } from '../simulate/simulator.js';
import { pgliteEngine, type TestStore } from '../../test/support/engines.js';
import { startPushCollector } from './push.js';
import { freePort } from '../transports/transport.js';

// A site collector pushing to a central server over real HTTP on loopback, the server on PGlite.

const TOKEN = 'site-secret-token';
let store: TestStore;
const dirs: string[] = [];
beforeAll(async () => {
  store = await pgliteEngine.create();
});
afterAll(async () => {
  await store.cleanup();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});


function siteConfig(pbxPort: number): Config {
  const dir = mkdtempSync(join(tmpdir(), 'calltrail-site-'));
  dirs.push(dir);
  return configSchema.parse({
    collector: { id: 'site-a', journal: { dir, fsync: { intervalMs: 20 } } },
    switches: [{ name: 'branch', format: 'siemens-hipath', timezone: 'Europe/Berlin', sources: [{ type: 'tcp-server', listen: `127.0.0.1:${pbxPort}` }] }],
  });
}

async function startServer(port: number, config: Config): Promise<FastifyInstance> {
  const switches = await syncSwitches(store.database, config);
  const app = await buildApp({ database: store.database, bus: new CallBus(), version: 'test', ingest: { switches, tokenDigests: [tokenDigest(TOKEN)] } });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}

async function countCalls(): Promise<{ calls: number; receipts: string[] }> {
  const [row] = await store.database.transaction((tx) =>
    tx.query<{ calls: string; receipts: string | null }>(
      `SELECT count(*)::text AS calls,
              (SELECT string_agg(DISTINCT r.collector_id, ',') FROM receipts r JOIN calls c2 ON c2.id = r.call_id JOIN switches s2 ON s2.id = c2.switch_id WHERE s2.name = 'branch') AS receipts
         FROM calls c JOIN switches s ON s.id = c.switch_id WHERE s.name = 'branch'`,
    ),
  );
  return { calls: Number(row!.calls), receipts: row!.receipts ? row!.receipts.split(',') : [] };
}

describe('site collector pushing to the server', () => {
  it('keeps records while the server is down, then drains them; a wrong token is refused', async () => {
    const pbxPort = await freePort();
    const serverPort = await freePort();
    const config = siteConfig(pbxPort);
    const collector = await startPushCollector(config, configuredSwitches(config), { url: `http://127.0.0.1:${serverPort}`, token: TOKEN });
    try {
      // The PBX sends 50 calls while the server is not running: they wait in the journal.
      const sent = await simulate({ format: getFormat('siemens-hipath'), count: 50, seed: 11, timeZone: 'Europe/Berlin' }, await connectSink('127.0.0.1', pbxPort));
      expect(sent.calls).toBe(50);
      for (let i = 0; i < 100 && collector.status().journal.lastSequence < sent.records; i++) await new Promise((r) => setTimeout(r, 20));
      expect(collector.status().journal.lastSequence).toBe(sent.records);
      expect(collector.status().journal.committedSequence).toBe(0);
      expect(collector.status().journal.backlog).toBe(sent.records);
      for (let i = 0; i < 100 && !collector.status().journal.pump.failing; i++) await new Promise((r) => setTimeout(r, 20));
      expect(collector.status().journal.pump.failing?.error).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/ingest/);

      const app = await startServer(serverPort, config);
      try {
        for (let i = 0; i < 300 && collector.status().journal.committedSequence < sent.records; i++) await new Promise((r) => setTimeout(r, 50));
        expect(collector.status().journal.committedSequence).toBe(sent.records);
        expect(collector.status().journal.backlog).toBe(0);
        expect(await countCalls()).toEqual({ calls: 50, receipts: ['site-a'] });
        const health = (await (await fetch(`http://127.0.0.1:${serverPort}/api/collectors`)).json()) as { collectors: { id: string; status: { sources: { type: string; records: number }[] } }[] };
        const site = health.collectors.find((c) => c.id === 'site-a')!;
        expect(site.status.sources).toEqual([expect.objectContaining({ type: 'tcp-server', records: sent.records })]);

        const wrong = await fetch(`http://127.0.0.1:${serverPort}/api/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
          body: JSON.stringify({ collector: 'site-a', records: [] }),
        });
        expect(wrong.status).toBe(401);
        const unknown = await fetch(`http://127.0.0.1:${serverPort}/api/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ collector: 'site-a', records: [{ sequence: 1, switch: 'elsewhere', stream: 's', receivedAt: 0, text: 'x' }] }),
        });
        expect(unknown.status).toBe(400);
        expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
          `unknown switch(es) "elsewhere": add them to the server's configuration`,
        );
      } finally {
        await app.close();
      }
    } finally {
      await collector.stop();
    }
  });

  it('stores a batch handed twice once', async () => {
    const serverPort = await freePort();
    const config = siteConfig(await freePort());
    const app = await startServer(serverPort, config);
    try {
      const before = await countCalls();
      const line = '14.01.2609:05:12  1   20100:0500:03:1202079460123                        0 1';
      const batch = { collector: 'site-b', records: [{ sequence: 7, switch: 'branch', stream: 'tcp-server-1 tcp://10.0.0.9:4000', receivedAt: Date.now(), text: line, ordinal: 0 }] };
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${serverPort}/api/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(batch),
        });
        expect(await res.json()).toEqual({ acknowledged: 7, records: 1 });
      }
      const after = await countCalls();
      expect(after.calls).toBe(before.calls + 1);
    } finally {
      await app.close();
    }
  });

  it('ends a stream on the server when its connection closed at the site: the assembler hands over the call it held', async () => {
    const pbxPort = await freePort();
    const serverPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-site-'));
    dirs.push(dir);
    const config = configSchema.parse({
      collector: { id: 'site-c', journal: { dir, fsync: { intervalMs: 20 } } },
      switches: [{ name: 'mitel-site', format: 'mitel-ipsmdr', timezone: 'Europe/Berlin', sources: [{ type: 'tcp-server', listen: `127.0.0.1:${pbxPort}` }] }],
    });
    const app = await startServer(serverPort, config);
    const collector = await startPushCollector(config, configuredSwitches(config), { url: `http://127.0.0.1:${serverPort}`, token: TOKEN });
    const storedCalls = async (): Promise<{ call_id: string; disposition: string; talk_seconds: number }[]> =>
      store.database.transaction((tx) =>
        tx.query(`SELECT c.call_id, c.disposition, c.talk_seconds FROM calls c JOIN switches s ON s.id = c.switch_id WHERE s.name = 'mitel-site'`),
      );
    try {
      // The call's events up to its transfer's answer; the PBX drops the connection before DISCONNECTED.
      const format = getFormat('mitel-ipsmdr');
      const [sim] = generateCalls({ count: 1, seed: 5 });
      const events = format.render(sim!, { timeZone: 'Europe/Berlin', referenceDate: '2026-01-20' });
      expect(events.at(-1)).toContain('DISCONNECTED');
      const held = events.slice(0, -1);
      const socket = net.connect({ host: '127.0.0.1', port: pbxPort });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(held.map((e) => frameRecord(format.framing, e)).join(''));
      for (let i = 0; i < 200 && collector.status().journal.committedSequence < held.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(collector.status().journal.committedSequence).toBe(held.length);
      expect(await storedCalls()).toEqual([]); // every event is stored; the call is still open

      await new Promise<void>((resolve) => socket.end(() => resolve()));
      let calls: Awaited<ReturnType<typeof storedCalls>> = [];
      for (let i = 0; i < 200 && calls.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        calls = await storedCalls();
      }
      expect(calls).toEqual([{ call_id: '2026011509025200000000', disposition: 'answered', talk_seconds: 18 }]);
    } finally {
      await collector.stop();
      await app.close();
    }
  });
});
