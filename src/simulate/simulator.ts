import { existsSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { SerialPort } from 'serialport';
import { CalltrailError } from '../core/errors.js';
import { fromLocal, isoInZone, isValidLocal, isValidTimeZone } from '../core/time.js';
import type { Format, ParseContext, SimulatedCall } from '../formats/format.js';
import { getFormat } from '../formats/registry.js';
import type { Framing } from '../framing/framer.js';
import { generateCalls } from './generate.js';

// The PBX simulator: renders the records of simulated calls in a format and sends them the way that
// PBX does — to standard output, into a collector's TCP listener (push), to a collector that
// connects to us (listen, after the start command where the PBX wants one), or out of a serial port.
//
// Times: without a start the calls are recent — the last one ends at the current second — so the
// seed fixes the calls but not their dates. With a seed and a start the output is byte for byte the
// same on every run and machine: the earliest call starts exactly at the start.

/** What a collector must send before a PBX of the format sends records (listen mode). */
export const START_COMMANDS: Readonly<Record<string, Uint8Array>> = {
  // Mitel/Inter-Tel CS-5000: STX NUL NUL NUL 0x84 NUL opens the SMDR stream (seed 001).
  'mitel-cs5000': Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x84, 0x00),
};

export type Target =
  | { kind: 'stdout' }
  | { kind: 'connect'; host: string; port: number }
  | { kind: 'listen'; host: string; port: number }
  | { kind: 'serial'; path: string; baudRate: number };

export interface SimulateOptions {
  format: Format;
  count: number;
  seed: number;
  /** The PBX clock's IANA zone. */
  timeZone: string;
  /** Records per second; absent: as fast as the receiver takes them. */
  rate?: number;
  /** Start of the earliest call (epoch ms). Absent: the calls are recent (see `now`). */
  startMs?: number;
  /** The current time for recent calls (epoch ms); defaults to the clock. */
  now?: number;
}

/** Where records go. `write` resolves false when the reader went away for good (stdout piped into `head`). */
export interface RecordSink {
  write(chunk: Buffer): Promise<boolean>;
  close(): Promise<void>;
}

export interface SimulateSummary {
  calls: number;
  records: number;
  bytes: number;
}

const BATCH_CHARS = 64 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long closing waits for the collector to close its side before dropping the connection. */
const CLOSE_GRACE_MS = 1000;

const usage = (message: string): CalltrailError => new CalltrailError('USAGE', message);
const transport = (message: string): CalltrailError => new CalltrailError('TRANSPORT', message);

/** The simulated calls, moved in time as the options say, in the order a PBX reports them (by end). */
export function planCalls(options: SimulateOptions): { calls: SimulatedCall[]; ctx: ParseContext } {
  const calls = generateCalls({ count: options.count, seed: options.seed, startMs: 0 });
  const endOf = (c: SimulatedCall): number => c.startedAtMs + 1000 * (c.ringSeconds + (c.answered ? c.talkSeconds : 0));
  let earliestStart = Infinity;
  let latestEnd = -Infinity;
  for (const c of calls) {
    earliestStart = Math.min(earliestStart, c.startedAtMs);
    latestEnd = Math.max(latestEnd, endOf(c));
  }
  const shift =
    options.startMs !== undefined
      ? options.startMs - earliestStart
      : Math.floor((options.now ?? Date.now()) / 1000) * 1000 - latestEnd;
  const moved = calls.map((c) => ({ ...c, startedAtMs: c.startedAtMs + shift }));
  moved.sort((a, b) => endOf(a) - endOf(b) || a.index - b.index);
  const lastEnd = moved.length > 0 ? endOf(moved[moved.length - 1]!) : (options.now ?? Date.now());
  const ctx: ParseContext = { timeZone: options.timeZone, referenceDate: isoInZone(lastEnd, options.timeZone).slice(0, 10) };
  return { calls: moved, ctx };
}

/** One record as it travels on the wire. */
export function frameRecord(framing: Framing, record: string): string {
  switch (framing.kind) {
    case 'lines':
      return record + '\r\n';
    case 'stx-etx':
      return '\x02' + record + '\x03';
    case 'fixed':
      return record;
  }
}

/** Renders the calls and writes their framed records to the sink, paced when a rate is given. */
export async function simulate(options: SimulateOptions, sink: RecordSink): Promise<SimulateSummary> {
  const { calls, ctx } = planCalls(options);
  const { format, rate } = options;
  const summary: SimulateSummary = { calls: calls.length, records: 0, bytes: 0 };
  const records = (function* (): Generator<string> {
    for (const call of calls) for (const record of format.render(call, ctx)) yield frameRecord(format.framing, record);
  })();
  const interval = rate === undefined ? 0 : 1000 / rate;
  const t0 = performance.now();
  /** With a rate, the records of index < this are due now. */
  const due = (): number => (rate === undefined ? Infinity : Math.floor((performance.now() - t0) / interval) + 1);

  let next = records.next();
  while (!next.done) {
    if (rate !== undefined) {
      const wait = t0 + summary.records * interval - performance.now();
      if (wait > 0) await sleep(wait);
    }
    let chunk = '';
    let inChunk = 0;
    const limit = due();
    do {
      chunk += next.value;
      inChunk++;
      next = records.next();
    } while (!next.done && chunk.length < BATCH_CHARS && summary.records + inChunk < limit);
    const bytes = Buffer.from(chunk, 'utf8');
    let more: boolean;
    try {
      more = await sink.write(bytes);
    } catch (err) {
      await sink.close().catch(() => {});
      const message = err instanceof Error ? err.message : String(err);
      throw transport(`${message} (after ${summary.records} records)`);
    }
    if (!more) break;
    summary.records += inChunk;
    summary.bytes += bytes.length;
  }
  await sink.close();
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Sinks

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EADDRNOTAVAIL':
      return 'address not available on this machine';
    case 'EACCES':
      return 'permission denied';
    case 'ECONNRESET':
      return 'connection reset by the peer';
    case 'EPIPE':
    case 'ERR_STREAM_WRITE_AFTER_END':
    case 'ERR_STREAM_DESTROYED':
      return 'the peer closed the connection';
    default:
      return e.message ?? String(err);
  }
}

export function formatAddress(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A sink over a stream we do not own (standard output): never ended, a closed reader stops the run. */
export function streamSink(stream: Writable): RecordSink {
  let gone = false;
  let failure: Error | null = null;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') gone = true;
    else failure ??= err;
  });
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (gone) return resolve(false);
        if (failure) return reject(failure);
        stream.write(chunk, (err) => {
          if (!err) return resolve(true);
          if ((err as NodeJS.ErrnoException).code === 'EPIPE') return resolve(false);
          reject(err);
        });
      }),
    close: async () => {},
  };
}

/** A sink over a connected TCP socket; `peer` names the other side in errors. */
function socketSink(socket: net.Socket, peer: string): RecordSink {
  let failure: Error | null = null;
  socket.on('error', (err) => (failure ??= err));
  const fail = (err: unknown): Error => transport(`sending to ${peer} failed: ${reason(err)}`);
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (failure || socket.destroyed || socket.writableEnded) return reject(fail(failure ?? { code: 'EPIPE' }));
        socket.write(chunk, (err) => (err ? reject(fail(err)) : resolve(true)));
      }),
    close: async () => {
      if (socket.destroyed) return;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** Push mode: the PBX connects to the collector's listener. */
export async function connectSink(host: string, port: number, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<RecordSink> {
  const address = formatAddress(host, port);
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      socket.destroy();
      reject(transport(`cannot connect to ${address}: ${reason(err)}`));
    };
    socket.setTimeout(timeoutMs, () => fail({ code: 'ETIMEDOUT' }));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      socket.setTimeout(0);
      socket.resume(); // a collector has nothing to say to us; read and drop it
      resolve();
    });
  });
  return socketSink(socket, `collector at ${address}`);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Listen mode: waits for a collector to connect (and, where the PBX wants one, to send the start
 * command) and returns a sink to it. Other connections are refused once one collector is chosen.
 */
export async function listenSink(
  host: string,
  port: number,
  startCommand: Uint8Array | undefined,
  onListening?: (address: string, startCommand: string | undefined) => void,
): Promise<RecordSink> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(transport(`cannot listen on ${formatAddress(host, port)}: ${reason(err)}`)));
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => {});
  const bound = server.address() as net.AddressInfo;
  const address = formatAddress(host, bound.port);
  onListening?.(address, startCommand && hex(startCommand));

  const waiting = new Set<net.Socket>();
  const socket = await new Promise<net.Socket>((resolve) => {
    let chosen = false;
    const choose = (socket: net.Socket): void => {
      chosen = true;
      waiting.delete(socket);
      for (const other of waiting) other.destroy();
      // Read and drop whatever the collector sends: unread bytes would turn our close into a reset.
      socket.resume();
      resolve(socket);
    };
    server.on('connection', (socket) => {
      if (chosen) return socket.destroy();
      socket.on('error', () => socket.destroy());
      if (!startCommand) return choose(socket);
      waiting.add(socket);
      socket.once('close', () => waiting.delete(socket));
      const command = Buffer.from(startCommand);
      let received = Buffer.alloc(0);
      const onData = (data: Buffer): void => {
        received = Buffer.concat([received, data]);
        if (received.indexOf(command) < 0) {
          // Keep only the tail that could still begin the command.
          received = received.subarray(Math.max(0, received.length - command.length + 1));
          return;
        }
        socket.off('data', onData);
        choose(socket);
      };
      socket.on('data', onData);
    });
  });
  server.close();
  const peerHost = socket.remoteAddress ?? 'unknown';
  return socketSink(socket, `collector ${formatAddress(peerHost, socket.remotePort ?? 0)} (on ${address})`);
}

/** Serial mode: writes out of a serial device. */
export async function serialSink(path: string, baudRate: number): Promise<RecordSink> {
  if (!existsSync(path)) throw usage(`--serial: ${path} does not exist`);
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(transport(`cannot open serial port ${path}: ${err.message}`)) : resolve())),
  );
  let failure: Error | null = null;
  port.on('error', (err: Error) => (failure ??= err));
  const fail = (err: Error): Error => transport(`writing to serial port ${path} failed: ${err.message}`);
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(fail(failure));
        port.write(chunk, (err) => (err ? reject(fail(err)) : resolve(true)));
      }),
    close: () =>
      new Promise((resolve, reject) =>
        port.drain((drainErr) => port.close((closeErr) => (drainErr || closeErr ? reject(fail((drainErr ?? closeErr)!)) : resolve()))),
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Options and the whole run

export interface RunOptions extends SimulateOptions {
  target: Target;
  /** Start commands by format id (listen mode); defaults to START_COMMANDS. */
  startCommands?: Readonly<Record<string, Uint8Array>>;
  /** Told the bound address (port 0 picks a free one) and the start command awaited, if any. */
  onListening?: (address: string, startCommand: string | undefined) => void;
  connectTimeoutMs?: number;
  /** Where stdout mode writes; defaults to process.stdout. */
  stdout?: Writable;
}

export async function openSink(options: RunOptions): Promise<RecordSink> {
  const { target } = options;
  switch (target.kind) {
    case 'stdout':
      return streamSink(options.stdout ?? process.stdout);
    case 'connect':
      return connectSink(target.host, target.port, options.connectTimeoutMs);
    case 'listen': {
      const table = options.startCommands ?? START_COMMANDS;
      return listenSink(target.host, target.port, table[options.format.id], options.onListening);
    }
    case 'serial':
      return serialSink(target.path, target.baudRate);
  }
}

/** Opens the target, then simulates (so that recent calls are recent when the collector arrives). */
export async function runSimulate(options: RunOptions): Promise<SimulateSummary> {
  const sink = await openSink(options);
  return simulate(options, sink);
}

/** The command line's option values, as strings. */
export interface SimulateFlags {
  format?: string;
  count?: string;
  rate?: string;
  seed?: string;
  start?: string;
  tz?: string;
  connect?: string;
  listen?: string;
  serial?: string;
  baud?: string;
}

const TCP_RE = /^(?:tcp:\/\/)?(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})\/?$/;

/** `tcp://HOST:PORT` (the scheme may be left out; IPv6 hosts in brackets). */
export function parseTcpAddress(value: string, option: string, allowPortZero = false): { host: string; port: number } {
  const m = TCP_RE.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowPortZero)) {
    throw usage(`${option}: "${value}" is not tcp://HOST:PORT`);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

const START_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** `--start`: an ISO date-time; without an offset it is wall-clock time in the PBX's zone. */
export function parseStart(value: string, timeZone: string): number {
  const m = START_RE.exec(value.trim());
  const fail = (): CalltrailError => usage(`--start: "${value}" is not an ISO date-time (YYYY-MM-DDThh:mm:ss, optional offset)`);
  if (!m) throw fail();
  const t = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0) };
  if (!isValidLocal(t)) throw fail();
  const zone = m[7];
  if (zone === undefined) return fromLocal(t, timeZone).epochMs;
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - offset * 60000;
}

function integer(value: string, option: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usage(`${option}: "${value}" is not a whole number from ${min} to ${max}`);
  return n;
}

const MAX_COUNT = 10_000_000;

/** Checks the command line's options and turns them into run options; every mistake is a USAGE error. */
export function runOptionsFrom(flags: SimulateFlags): RunOptions {
  if (flags.format === undefined) throw usage('--format: which format to simulate is required (e.g. --format cdrstats-csv)');
  let format: Format;
  try {
    format = getFormat(flags.format);
  } catch (err) {
    throw usage(`--format: ${(err as Error).message}`);
  }
  const timeZone = flags.tz ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw usage(`--tz: unknown time zone "${timeZone}"`);
  const count = integer(flags.count ?? '10', '--count', 1, MAX_COUNT);
  const seed = integer(flags.seed ?? '1', '--seed', 0, 0xffffffff);
  let rate: number | undefined;
  if (flags.rate !== undefined) {
    rate = Number(flags.rate);
    if (flags.rate.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
      throw usage(`--rate: "${flags.rate}" is not a positive number of records per second`);
    }
  }
  const startMs = flags.start === undefined ? undefined : parseStart(flags.start, timeZone);

  const chosen = (['connect', 'listen', 'serial'] as const).filter((k) => flags[k] !== undefined);
  if (chosen.length > 1) throw usage(`--${chosen.join(', --')}: choose one way to send`);
  if (flags.baud !== undefined && flags.serial === undefined) throw usage('--baud: only with --serial');
  let target: Target = { kind: 'stdout' };
  if (flags.connect !== undefined) target = { kind: 'connect', ...parseTcpAddress(flags.connect, '--connect') };
  if (flags.listen !== undefined) target = { kind: 'listen', ...parseTcpAddress(flags.listen, '--listen', true) };
  if (flags.serial !== undefined) {
    if (flags.serial.trim() === '') throw usage('--serial: the device path is empty');
    target = { kind: 'serial', path: flags.serial, baudRate: integer(flags.baud ?? '9600', '--baud', 50, 4_000_000) };
  }
  return { format, count, seed, timeZone, rate, startMs, target };
}
