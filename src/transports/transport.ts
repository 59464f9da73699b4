import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';
import { CalltrailError } from '../core/errors.js';
import { createFramer, DEFAULT_MAX_RECORD_BYTES, type FramedRecord, type Framer, type Framing } from '../framing/framer.js';

// The one small interface every network and serial transport implements, and the parts they share:
// a per-stream receiver (bytes → framer → sink, with backpressure), backoff, allow-lists and routes.

export interface ReceivedRecord {
  text: string;
  /** The record was longer than maxRecordBytes: `text` is its head, the rest was dropped. */
  truncated: boolean;
  /** Where it came from: "tcp://127.0.0.1:53012", "udp://127.0.0.1:40000", "serial:/dev/ttyS0". */
  peer: string;
  /** 1-based record counter of the connection (or datagram peer, or serial port opening). */
  line: number;
}

/** Takes one record. A returned promise is backpressure: reading pauses until it settles. */
export type ReceiveSink = (record: ReceivedRecord) => Promise<void> | undefined;

export interface TransportStatus {
  /** A client or serial port is connected/open; a server or UDP socket is listening. */
  connected: boolean;
  /** Open connections (1 or 0 for a client or serial port; UDP: peers heard from and still kept). */
  connections: number;
  records: number;
  /** Bytes read (UDP: of every datagram, dropped ones too). */
  bytes: number;
  /** Client/serial: reconnects and reopens; server: connections accepted after the first. */
  reconnects: number;
  /** Records, datagrams or connections given up: incomplete at a reset, queue full, refused peers. */
  dropped: number;
  lastRecordAt: string | null;
  lastError: string | null;
}

export interface Transport {
  status(): TransportStatus;
  /** Stops accepting and reading, ends connections cleanly and waits for the sink to settle. */
  stop(): Promise<void>;
}

export function newStatus(): TransportStatus {
  return { connected: false, connections: 0, records: 0, bytes: 0, reconnects: 0, dropped: 0, lastRecordAt: null, lastError: null };
}

export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset by the peer';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EADDRNOTAVAIL':
      return 'address not available on this machine';
    case 'EACCES':
      return 'permission denied';
    case 'EPIPE':
      return 'the peer closed the connection';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}

/** Strips the IPv4-mapped IPv6 prefix so that "::ffff:10.0.0.5" matches "10.0.0.5". */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export function peerUrl(scheme: 'tcp' | 'udp', address: string, port: number): string {
  const host = plainAddress(address);
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// ---------------------------------------------------------------------------------------------
// Receiving a stream

export interface ReceiverOptions {
  peer: string;
  framing: Framing;
  maxRecordBytes?: number;
  sink: ReceiveSink;
  status: TransportStatus;
  log: Logger;
  /** Stop reading the source (backpressure) … */
  pause?: () => void;
  /** … and start again once the sink settled. */
  resume?: () => void;
}

/**
 * One stream's bytes → records → sink. Records reach the sink one at a time and in order; while a
 * sink promise is pending, later records queue and the source is paused, so at most one chunk's
 * records wait here. The framer holds at most maxRecordBytes plus one chunk of an unfinished record.
 */
export class StreamReceiver {
  readonly peer: string;
  private readonly framer: Framer;
  private readonly decoder = new StringDecoder('utf8');
  private queue: FramedRecord[] = [];
  private head = 0;
  private draining: Promise<void> | null = null;
  private count = 0;

  constructor(private readonly options: ReceiverOptions) {
    this.peer = options.peer;
    this.framer = createFramer(options.framing, options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  }

  /** Records handed to the sink so far. */
  get records(): number {
    return this.count;
  }

  /** Records waiting for the sink. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** A sink promise is pending. */
  get busy(): boolean {
    return this.draining !== null;
  }

  push(chunk: Buffer): void {
    this.options.status.bytes += chunk.length;
    this.enqueue(this.framer.push(this.decoder.write(chunk)));
  }

  /** The end of a unit that cannot continue (a datagram): what is pending is a record. */
  endUnit(): void {
    this.enqueue(this.framer.push(this.decoder.end()));
    this.enqueue(this.framer.end());
  }

  /** The stream ended cleanly: a last record without its terminator is delivered. Waits for the sink. */
  async end(): Promise<void> {
    this.endUnit();
    await this.settled();
  }

  /** The stream broke: an unfinished record is dropped (and logged). Waits for what was complete. */
  async abort(reason: string): Promise<void> {
    const rest = [...this.framer.push(this.decoder.end()), ...this.framer.end()];
    if (rest.length > 0) {
      this.options.status.dropped += rest.length;
      this.options.log.warn({ peer: this.peer, bytes: rest.reduce((n, r) => n + r.text.length, 0), reason }, 'incomplete record dropped');
    }
    await this.settled();
  }

  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private enqueue(records: FramedRecord[]): void {
    if (records.length === 0) return;
    for (const r of records) this.queue.push(r);
    if (!this.draining) this.drain();
  }

  private drain(): void {
    while (this.head < this.queue.length) {
      const framed = this.queue[this.head]!;
      this.head++;
      const wait = this.deliver(framed);
      if (wait) {
        this.options.pause?.();
        this.draining = wait.then(() => {
          this.draining = null;
          this.drain();
          if (!this.draining) this.options.resume?.();
        });
        return;
      }
    }
    this.queue = [];
    this.head = 0;
  }

  private deliver(framed: FramedRecord): Promise<void> | undefined {
    const { status, log } = this.options;
    this.count++;
    status.records++;
    status.lastRecordAt = new Date().toISOString();
    const record: ReceivedRecord = { text: framed.text, truncated: framed.truncated === true, peer: this.peer, line: this.count };
    if (record.truncated) log.warn({ peer: this.peer, line: record.line, kept: record.text.length }, 'record longer than maxRecordBytes: truncated');
    const failed = (err: unknown): void => {
      status.lastError = `sink failed on record ${record.line} from ${this.peer}: ${errorText(err)}`;
      log.error({ err, peer: this.peer, line: record.line }, 'the record could not be handed on');
    };
    try {
      const wait = this.options.sink(record);
      return wait ? wait.catch(failed) : undefined;
    } catch (err) {
      failed(err);
      return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reconnecting

export interface BackoffOptions {
  /** First delay after a failure. Default 1000 ms. */
  initialMs?: number;
  /** The cap. Default 60 000 ms. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
  /** ± share of random spread so that many collectors do not retry in step. Default 0.2. */
  jitter?: number;
}

/** Exponential backoff with jitter, capped. */
export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 60_000);
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  }

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures);
    this.failures++;
    const spread = base * this.jitter * (2 * Math.random() - 1);
    return Math.round(Math.min(this.maxMs, Math.max(0, base + spread)));
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Waits, unless the signal aborts first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

// ---------------------------------------------------------------------------------------------
// Who may send, and to whom

function parseAddressOrCidr(entry: string): { address: string; family: 'ipv4' | 'ipv6'; bits: number | null } | null {
  const [address = '', prefix, ...extra] = entry.trim().split('/');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
  const bits = prefix === undefined ? null : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!family || extra.length > 0 || Number.isNaN(bits) || (bits !== null && bits > (family === 'ipv4' ? 32 : 128))) return null;
  return { address, family, bits };
}

/** For config validation: "10.0.0.5", "10.0.0.0/8", "fd00::/8", "::1". */
export function isAddressOrCidr(entry: string): boolean {
  return parseAddressOrCidr(entry) !== null;
}

/** An allow-list or route from addresses and CIDR blocks. Throws CONFIG_INVALID naming the bad entry. */
export function createAddressList(entries: readonly string[], what = 'allow'): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const parsed = parseAddressOrCidr(entry);
    if (!parsed) throw new CalltrailError('CONFIG_INVALID', `${what}: "${entry}" is not an IP address or CIDR block (e.g. 10.0.0.5 or 10.0.0.0/24)`);
    if (parsed.bits === null) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.bits, parsed.family);
  }
  return list;
}

export function addressIn(list: net.BlockList, address: string): boolean {
  const plain = plainAddress(address);
  const family = net.isIPv4(plain) ? 'ipv4' : net.isIPv6(plain) ? 'ipv6' : null;
  return family !== null && list.check(plain, family);
}

/** Where a listener's records go: the first route whose `from` holds the peer; no `from`: everyone. */
export interface Route {
  /** Names the target in logs (e.g. the switch). */
  name?: string;
  from?: string[];
  framing: Framing;
  maxRecordBytes?: number;
  sink: ReceiveSink;
}

export interface CompiledRoute extends Route {
  match: net.BlockList | null;
}

export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  if (routes.length === 0) throw new CalltrailError('CONFIG_INVALID', 'a listener needs at least one route (where its records go)');
  return routes.map((r, i) => ({ ...r, match: r.from ? createAddressList(r.from, `routes[${i}].from`) : null }));
}

export function routeFor(routes: readonly CompiledRoute[], address: string): CompiledRoute | undefined {
  return routes.find((r) => r.match === null || addressIn(r.match, address));
}

/** A loopback port free right now (for the demo's PBXs and for tests). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Binds a server or socket; rejects with a TRANSPORT error naming the address when it cannot. */
export function listening(target: NodeJS.EventEmitter, listenAddress: string, bind: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => reject(new CalltrailError('TRANSPORT', `cannot listen on ${listenAddress}: ${errorText(err)}`));
    target.once('error', fail);
    bind(() => {
      target.off('error', fail);
      resolve();
    });
  });
}
