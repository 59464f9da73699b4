import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { getFormat } from '../src/formats/registry.js';
import { generateCalls } from '../src/simulate/generate.js';
import { freePort } from '../src/transports/transport.js';

// End to end through a real collector process: 500 PBX connections push Siemens records at once
// into `calltrail collect` (tcp-server source, journal with fsync every 100 ms), which stores them
// in PostgreSQL or PGlite. Timed from the first byte sent until the journal's checkpoint says the
// database has committed every record; the collector's peak memory is its VmHWM.

const BIN = fileURLToPath(new URL('../../bin/calltrail.js', import.meta.url));
const HEAP_MB = 224;
/** A young generation big enough that a busy stream's short-lived objects die there instead of being promoted. */
const SEMI_SPACE_MB = 32;

export interface CollectorBenchResult {
  name: string;
  engine: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  note: string;
}


function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

function committed(journalDir: string): number {
  const path = join(journalDir, 'checkpoint.json');
  if (!existsSync(path)) return 0;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { committed: number }).committed;
  } catch {
    return 0; // being replaced right now
  }
}

export async function benchCollector(engine: 'postgres' | 'pglite', databaseUrl: string | null, records = 200_000, connections = 500): Promise<CollectorBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'calltrail-bench-collector-'));
  const journalDir = join(dir, 'journal');
  const port = await freePort();
  const config = join(dir, 'calltrail.yaml');
  writeFileSync(
    config,
    [
      `collector: { id: bench, batchSize: 5000, journal: { dir: ${journalDir}, fsync: { intervalMs: 100 } } }`,
      'switches:',
      `  - { name: bench, format: siemens-hipath, timezone: UTC, sources: [{ type: tcp-server, listen: "127.0.0.1:${port}", maxConnections: ${connections + 10} }] }`,
      '',
    ].join('\n'),
  );
  const store = databaseUrl ? ['--database', databaseUrl] : ['--data', join(dir, 'data')];
  // The heap budget a collector is deployed with (contrib/calltrail-collect.service): V8 otherwise
  // lets garbage pile up to a fraction of the machine's memory before it collects it.
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`, BIN, 'collect', '--config', config, ...store], {
    env: { ...process.env, CALLTRAIL_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    for (let i = 0; i < 600 && !/running/.test(stderr); i++) await sleep(100);
    if (!/running/.test(stderr)) throw new Error(`collector did not start: ${stderr}`);

    const siemens = getFormat('siemens-hipath');
    const ctx = { timeZone: 'UTC', referenceDate: '2026-01-20' };
    const lines = generateCalls({ count: records, seed: 9, startMs: Date.UTC(2026, 0, 1), meanGapSeconds: 2 }).flatMap((c) => siemens.render(c, ctx));
    const perConnection = Math.ceil(lines.length / connections);
    const payloads: string[] = [];
    for (let i = 0; i < lines.length; i += perConnection) payloads.push(lines.slice(i, i + perConnection).map((l) => l + '\r\n').join(''));

    const t0 = performance.now();
    await Promise.all(
      payloads.map(
        (payload) =>
          new Promise<void>((resolve, reject) => {
            const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(payload));
            socket.on('error', reject);
            socket.on('close', () => resolve());
          }),
      ),
    );
    while (committed(journalDir) < lines.length) {
      if (child.exitCode !== null) throw new Error(`collector exited: ${stderr}`);
      await sleep(50);
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      name: 'collect tcp end to end',
      engine,
      rows: lines.length,
      seconds: Math.round(seconds * 1000) / 1000,
      rowsPerSecond: Math.round(lines.length / seconds),
      peakRssMb: peakRssMb(child.pid!),
      note: `${connections} concurrent TCP connections → journal (fsync every 100 ms) → parse → ${engine}; until the checkpoint covers every record; node --max-old-space-size=${HEAP_MB} --max-semi-space-size=${SEMI_SPACE_MB}`,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
