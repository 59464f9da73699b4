import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimulate } from '../cli/simulate.js';
import { CalltrailError } from '../core/errors.js';
import { parseAll } from '../formats/conformance.js';
import type { Format } from '../formats/format.js';
import { allFormats, getFormat } from '../formats/registry.js';
import {
  frameRecord,
  planCalls,
  runOptionsFrom,
  runSimulate,
  simulate,
  START_COMMANDS,
  type RecordSink,
  type RunOptions,
  type SimulateOptions,
} from './simulator.js';

const format = getFormat('cdrstats-csv');
const START = Date.parse('2026-03-29T00:30:00Z'); // across the Europe/London spring-forward change
const MITEL_START = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x84, 0x00]);

function options(overrides: Partial<SimulateOptions> = {}): SimulateOptions {
  return { format, count: 25, seed: 3, timeZone: 'Europe/London', startMs: START, ...overrides };
}

/** The exact bytes a run with these options must send. */
function expectedText(opts: SimulateOptions): string {
  const { calls, ctx } = planCalls(opts);
  return calls.map((c) => opts.format.render(c, ctx).map((r) => frameRecord(opts.format.framing, r)).join('')).join('');
}

function memorySink(): RecordSink & { chunks: Buffer[]; closed: boolean } {
  const sink = {
    chunks: [] as Buffer[],
    closed: false,
    write: async (chunk: Buffer) => {
      sink.chunks.push(chunk);
      return true;
    },
    close: async () => {
      sink.closed = true;
    },
  };
  return sink;
}

/** Parses received text back and checks it is the N calls, answered as simulated, in order. */
function expectCalls(text: string, opts: SimulateOptions): void {
  const { calls: sims, ctx } = planCalls(opts);
  const { calls, results } = parseAll(opts.format, text, ctx);
  expect(results.filter((r) => r.kind === 'error')).toEqual([]);
  expect(calls).toHaveLength(opts.count);
  calls.forEach((call, i) => {
    const sim = sims[i]!;
    expect(Date.parse(call.startedAt!)).toBe(sim.startedAtMs);
    expect(call.direction).toBe(sim.direction);
    expect(call.talkSeconds).toBe(sim.answered ? sim.talkSeconds : 0);
  });
}

function catchError(fn: () => unknown): CalltrailError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CalltrailError) return err;
    throw err;
  }
  throw new Error('expected a CalltrailError');
}

async function rejection(promise: Promise<unknown>): Promise<CalltrailError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CalltrailError) return err;
    throw err;
  }
  throw new Error('expected a CalltrailError');
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('planning the calls', () => {
  it('is the same, byte for byte, for the same seed and start', () => {
    expect(expectedText(options())).toBe(expectedText(options()));
    expect(expectedText(options({ seed: 4 }))).not.toBe(expectedText(options()));
  });

  it('starts the earliest call at --start and orders calls by their end, as a PBX reports them', () => {
    const { calls, ctx } = planCalls(options());
    expect(Math.min(...calls.map((c) => c.startedAtMs))).toBe(START);
    const ends = calls.map((c) => c.startedAtMs + 1000 * (c.ringSeconds + (c.answered ? c.talkSeconds : 0)));
    expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    expect(ctx).toEqual({ timeZone: 'Europe/London', referenceDate: expect.stringMatching(/^2026-03-29$|^2026-03-30$/) });
  });

  it('makes calls recent without --start: the last ends at the current second, none after it', () => {
    const now = Date.parse('2026-06-01T12:00:00.750Z');
    const { calls, ctx } = planCalls(options({ startMs: undefined, now }));
    const ends = calls.map((c) => c.startedAtMs + 1000 * (c.ringSeconds + (c.answered ? c.talkSeconds : 0)));
    expect(Math.max(...ends)).toBe(Date.parse('2026-06-01T12:00:00Z'));
    // 25 gaps of at most 245 s, plus the longest call (30 s ring + 3600 s talk).
    expect(Math.min(...calls.map((c) => c.startedAtMs))).toBeGreaterThanOrEqual(now - 1000 * (25 * 245 + 3630));
    expect(ctx.referenceDate).toBe('2026-06-01');
  });
});

describe('framing', () => {
  it('ends lines with CR LF, wraps STX … ETX, sends fixed records as they are', () => {
    expect(frameRecord({ kind: 'lines' }, 'abc')).toBe('abc\r\n');
    expect(frameRecord({ kind: 'stx-etx' }, 'abc')).toBe('\x02abc\x03');
    expect(frameRecord({ kind: 'fixed', length: 3 }, 'abc')).toBe('abc');
  });
});

describe('simulate into a sink', () => {
  it('sends every record of N calls, framed, and closes the sink', async () => {
    const sink = memorySink();
    const summary = await simulate(options(), sink);
    const text = Buffer.concat(sink.chunks).toString('utf8');
    expect(text).toBe(expectedText(options()));
    expect(summary).toEqual({ calls: 25, records: 25, bytes: Buffer.byteLength(text) });
    expect(sink.closed).toBe(true);
    expectCalls(text, options());
  });

  it('frames STX … ETX for such formats', async () => {
    const stx: Format = { ...format, framing: { kind: 'stx-etx' } };
    const sink = memorySink();
    await simulate(options({ format: stx, count: 3 }), sink);
    const text = Buffer.concat(sink.chunks).toString('utf8');
    expect(text.split('\x03').filter(Boolean).every((r) => r.startsWith('\x02') && !r.includes('\n'))).toBe(true);
    expect(text.split('\x02').length - 1).toBe(3);
  });

  it('paces records at --rate, one write per record when they come slower than the sink takes them', async () => {
    const sink = memorySink();
    const begin = performance.now();
    await simulate(options({ count: 6, rate: 50 }), sink);
    const elapsed = performance.now() - begin;
    expect(elapsed).toBeGreaterThanOrEqual(95); // 5 intervals of 20 ms after the first record
    expect(elapsed).toBeLessThan(2000);
    expect(sink.chunks).toHaveLength(6);
  });

  it('writes standard output until the reader goes away, without failing', async () => {
    const out = new PassThrough();
    const received: Buffer[] = [];
    out.on('data', (d: Buffer) => received.push(d));
    const summary = await runSimulate({ ...options({ count: 5 }), target: { kind: 'stdout' }, stdout: out });
    expect(summary.records).toBe(5);
    expect(Buffer.concat(received).toString('utf8')).toBe(expectedText(options({ count: 5 })));
  });
});

describe('over TCP on loopback', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  /** A collector's listener that gathers everything one connection sends until it ends. */
  async function collector(): Promise<{ port: number; received: Promise<Buffer> }> {
    const server = net.createServer();
    cleanups.push(() => server.close());
    const received = new Promise<Buffer>((resolve) =>
      server.once('connection', (socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (d) => chunks.push(d));
        socket.on('end', () => resolve(Buffer.concat(chunks)));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as net.AddressInfo).port, received };
  }

  it('push mode: connects to the collector, sends the records, and ends the connection', async () => {
    const { port, received } = await collector();
    const opts = options({ count: 40 });
    const summary = await runSimulate({ ...opts, target: { kind: 'connect', host: '127.0.0.1', port } });
    const text = (await received).toString('utf8');
    expect(text).toBe(expectedText(opts));
    expect(summary.records).toBe(40);
    expectCalls(text, opts);
  });

  it('push mode: an unreachable collector is a TRANSPORT error naming the address', async () => {
    const port = await closedPort();
    const err = await rejection(runSimulate({ ...options(), target: { kind: 'connect', host: '127.0.0.1', port } }));
    expect(err.code).toBe('TRANSPORT');
    expect(err.message).toBe(`cannot connect to tcp://127.0.0.1:${port}: connection refused`);
  });

  /** Starts a listen-mode run on a free port and resolves the address the PBX side listens on. */
  function listenRun(run: Omit<RunOptions, 'target' | 'onListening'>): { port: Promise<number>; done: Promise<unknown> } {
    let announce: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (announce = resolve));
    const done = runSimulate({
      ...run,
      target: { kind: 'listen', host: '127.0.0.1', port: 0 },
      onListening: (address) => announce(Number(address.slice(address.lastIndexOf(':') + 1))),
    });
    return { port, done };
  }

  it('listen mode: sends nothing until the collector sends the start command, then every record', async () => {
    const opts = options({ count: 30 });
    // cdrstats-csv has no start command of its own; give it the CS-5000's for this run.
    const { port, done } = listenRun({ ...opts, startCommands: { 'cdrstats-csv': START_COMMANDS['mitel-cs5000']! } });
    const client = net.connect({ host: '127.0.0.1', port: await port });
    cleanups.push(() => client.destroy());
    const chunks: Buffer[] = [];
    client.on('data', (d) => chunks.push(d));
    const ended = new Promise<void>((resolve) => client.on('end', () => resolve()));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));

    client.write(Buffer.from('hello')); // noise before the command is ignored
    client.write(MITEL_START.subarray(0, 3)); // the command split across two reads
    await sleep(150);
    expect(chunks).toHaveLength(0);
    client.write(MITEL_START.subarray(3));

    await ended;
    await done;
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(expectedText(opts));
    expectCalls(text, opts);
  });

  it('listen mode: a format without a start command sends as soon as the collector connects', async () => {
    const opts = options({ count: 12 });
    const { port, done } = listenRun(opts);
    const client = net.connect({ host: '127.0.0.1', port: await port });
    cleanups.push(() => client.destroy());
    const chunks: Buffer[] = [];
    client.on('data', (d) => chunks.push(d));
    await new Promise<void>((resolve) => client.on('end', () => resolve()));
    await done;
    expectCalls(Buffer.concat(chunks).toString('utf8'), opts);
  });

  it('keeps the CS-5000 start command in its table', () => {
    expect(Buffer.from(START_COMMANDS['mitel-cs5000']!)).toEqual(MITEL_START);
  });

  it('the CLI command pushes to a collector', async () => {
    const { port, received } = await collector();
    const program = new Command('calltrail').exitOverride();
    registerSimulate(program);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    cleanups.push(() => stderr.mockRestore());
    const args = ['simulate', '--format', 'cdrstats-csv', '--count', '7', '--seed', '9', '--start', '2026-01-01T00:00:00Z'];
    await program.parseAsync([...args, '--connect', `tcp://127.0.0.1:${port}`], { from: 'user' });
    const opts = options({ count: 7, seed: 9, timeZone: 'UTC', startMs: Date.parse('2026-01-01T00:00:00Z') });
    const text = (await received).toString('utf8');
    expect(text).toBe(expectedText(opts));
    expect(stderr).toHaveBeenCalledWith(`sent 7 records of 7 calls (${Buffer.byteLength(text)} bytes) to tcp://127.0.0.1:${port}\n`);
  });
});

describe('over a serial port', () => {
  const socat = '/usr/bin/socat';
  const haveSocat = existsSync(socat) || spawnSync('socat', ['-V']).status === 0;
  if (!haveSocat) console.warn('serial test skipped: socat is not installed (apt-get install socat)');

  it.skipIf(!haveSocat)('writes the framed records out of the port (socat pty pair)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-sim-'));
    const [a, b] = [join(dir, 'ctA'), join(dir, 'ctB')];
    const child: ChildProcess = spawn(existsSync(socat) ? socat : 'socat', [
      '-d',
      '-d',
      `pty,raw,echo=0,link=${a}`,
      `pty,raw,echo=0,link=${b}`,
    ]);
    let reader: SerialPort | undefined;
    try {
      for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await sleep(50);
      expect(existsSync(a) && existsSync(b)).toBe(true);

      const opts = options({ count: 20 });
      const expected = Buffer.from(expectedText(opts), 'utf8');
      const port = new SerialPort({ path: b, baudRate: 9600, autoOpen: false });
      reader = port;
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      const chunks: Buffer[] = [];
      let size = 0;
      const all = new Promise<void>((resolve) =>
        port.on('data', (d: Buffer) => {
          chunks.push(d);
          size += d.length;
          if (size >= expected.length) resolve();
        }),
      );

      const summary = await runSimulate({ ...opts, target: { kind: 'serial', path: a, baudRate: 9600 } });
      await all;
      expect(summary.records).toBe(20);
      const text = Buffer.concat(chunks).toString('utf8');
      expect(text).toBe(expected.toString('utf8'));
      expectCalls(text, opts);
    } finally {
      if (reader?.isOpen) await new Promise<void>((resolve) => reader!.close(() => resolve()));
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a serial path that does not exist is a USAGE error naming it', async () => {
    const err = await rejection(runSimulate({ ...options(), target: { kind: 'serial', path: '/dev/calltrail-no-such-tty', baudRate: 9600 } }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe('--serial: /dev/calltrail-no-such-tty does not exist');
  });
});

describe('command-line options', () => {
  it('reads defaults: 10 calls, seed 1, UTC, standard output', () => {
    const run = runOptionsFrom({ format: 'cdrstats-csv' });
    expect(run).toMatchObject({ count: 10, seed: 1, timeZone: 'UTC', rate: undefined, startMs: undefined, target: { kind: 'stdout' } });
  });

  it('reads targets, rate and start (a start without offset is wall-clock time in --tz)', () => {
    expect(runOptionsFrom({ format: 'cdrstats-csv', connect: 'tcp://pbx.example:4000' }).target).toEqual({
      kind: 'connect',
      host: 'pbx.example',
      port: 4000,
    });
    expect(runOptionsFrom({ format: 'cdrstats-csv', listen: 'tcp://[::1]:0' }).target).toEqual({ kind: 'listen', host: '::1', port: 0 });
    expect(runOptionsFrom({ format: 'cdrstats-csv', serial: '/dev/ttyS0', baud: '19200' }).target).toEqual({
      kind: 'serial',
      path: '/dev/ttyS0',
      baudRate: 19200,
    });
    const run = runOptionsFrom({ format: 'cdrstats-csv', rate: '2.5', tz: 'Europe/London', start: '2026-07-01T09:00:00' });
    expect(run.rate).toBe(2.5);
    expect(run.startMs).toBe(Date.parse('2026-07-01T08:00:00Z'));
    expect(runOptionsFrom({ format: 'cdrstats-csv', start: '2026-07-01T09:00:00+02:00' }).startMs).toBe(Date.parse('2026-07-01T07:00:00Z'));
  });

  it.each([
    [{}, '--format: which format to simulate is required (e.g. --format cdrstats-csv)'],
    [{ format: 'nope' }, `--format: unknown format "nope"; known formats: ${allFormats().map((f) => f.id).join(', ')}`],
    [{ format: 'cdrstats-csv', count: '0' }, '--count: "0" is not a whole number from 1 to 10000000'],
    [{ format: 'cdrstats-csv', count: '1.5' }, '--count: "1.5" is not a whole number from 1 to 10000000'],
    [{ format: 'cdrstats-csv', seed: '-1' }, '--seed: "-1" is not a whole number from 0 to 4294967295'],
    [{ format: 'cdrstats-csv', rate: '0' }, '--rate: "0" is not a positive number of records per second'],
    [{ format: 'cdrstats-csv', tz: 'Mars/Olympus' }, '--tz: unknown time zone "Mars/Olympus"'],
    [{ format: 'cdrstats-csv', start: '2026-02-30' }, '--start: "2026-02-30" is not an ISO date-time (YYYY-MM-DDThh:mm:ss, optional offset)'],
    [{ format: 'cdrstats-csv', connect: 'pbx:99999' }, '--connect: "pbx:99999" is not tcp://HOST:PORT'],
    [{ format: 'cdrstats-csv', connect: 'tcp://pbx' }, '--connect: "tcp://pbx" is not tcp://HOST:PORT'],
    [{ format: 'cdrstats-csv', connect: 'tcp://pbx:0' }, '--connect: "tcp://pbx:0" is not tcp://HOST:PORT'],
    [{ format: 'cdrstats-csv', connect: 'a:1', serial: '/dev/x' }, '--connect, --serial: choose one way to send'],
    [{ format: 'cdrstats-csv', baud: '9600' }, '--baud: only with --serial'],
    [{ format: 'cdrstats-csv', serial: '/dev/x', baud: 'fast' }, '--baud: "fast" is not a whole number from 50 to 4000000'],
  ])('rejects %j', (flags, message) => {
    const err = catchError(() => runOptionsFrom(flags));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe(message);
  });
});
