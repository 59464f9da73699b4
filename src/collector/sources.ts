import { join } from 'node:path';
import type { SourceConfig } from '../config/schema.js';
import { logger } from '../core/log.js';
import type { SwitchRuntime } from '../pipeline/ingest.js';
import { readFileRecords } from '../transports/file.js';
import { startFileTail } from '../transports/file-tail.js';
import { startGatewayListener } from '../transports/gateway.js';
import { startSerial } from '../transports/serial.js';
import { startTcpClient } from '../transports/tcp-client.js';
import { startTcpServer } from '../transports/tcp-server.js';
import type { ReceivedRecord, Route, Transport, TransportStatus } from '../transports/transport.js';
import { newStatus } from '../transports/transport.js';
import { startUdp } from '../transports/udp.js';
import { startSqlPull } from '../sources/sql-pull/pull.js';

// Starts the configured sources of every switch and hands their records on. Listeners that share a
// `listen` address (several PBXs on one port, told apart by address) run as one server.

const log = logger('collector');

/** One source of one switch, as the config names it. */
export interface SourceRef {
  sw: SwitchRuntime;
  source: SourceConfig;
  /** The source's name within its switch (sourceName). */
  name: string;
}

/**
 * Where records go. `stream` tells records apart that must be parsed in order by one parser: one
 * per connection for servers, one per source otherwise. `ended` closes such a stream.
 */
export interface RecordDelivery {
  record(ref: SourceRef, stream: string, record: ReceivedRecord): Promise<void> | undefined;
  ended(ref: SourceRef, stream: string): void;
  /** Resolves once every record taken so far is durable (journaled): file offsets are saved only then. */
  settled?(): Promise<void>;
}

export interface RunningSource {
  refs: SourceRef[];
  /** The transport's state, for the heartbeat and the API. */
  status(): TransportStatus;
  /** Resolves when a finite source (a file without follow) has been read. */
  done: Promise<void>;
  stop(): Promise<void>;
}

const seconds = (s: number): number => Math.round(s * 1000);

function hexToBytes(hex: string): Uint8Array {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}

function fromTransport(refs: SourceRef[], transport: Transport): RunningSource {
  return { refs, status: () => transport.status(), done: new Promise<void>(() => undefined), stop: () => transport.stop() };
}

/** A file name for a switch's or source's name (switch names are already safe; source names may not be). */
const safeName = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, '_');

/** Starts one source that is not a shared listener. `stateDir` keeps where followed files were read to. */
async function startSingle(ref: SourceRef, delivery: RecordDelivery, stateDir: string): Promise<RunningSource> {
  const { sw, source, name } = ref;
  const framing = sw.format.framing;
  const maxRecordBytes = 'maxRecordBytes' in source ? source.maxRecordBytes : undefined;
  const sink = (r: ReceivedRecord): Promise<void> | undefined => delivery.record(ref, name, r);
  const stateFile = (configured: string | undefined): string => configured ?? join(stateDir, `${safeName(sw.row.name)}.${safeName(name)}.json`);
  const durable = delivery.settled ? { durable: () => delivery.settled!() } : {};
  switch (source.type) {
    case 'file': {
      if (source.follow) {
        const transport = startFileTail(
          {
            mode: 'file',
            path: source.path,
            framing,
            ...(maxRecordBytes ? { maxRecordBytes } : {}),
            stateFile: stateFile(source.stateFile),
            pollMs: seconds(source.pollSeconds),
            fromStart: source.fromStart,
            ...durable,
          },
          sink,
        );
        return fromTransport([ref], transport);
      }
      const abort = new AbortController();
      const status = newStatus();
      status.connected = true;
      const done = readFileRecords(
        source.path,
        (r) => {
          status.records++;
          status.lastRecordAt = new Date().toISOString();
          return sink({ text: r.text, truncated: r.truncated === true, peer: `file:${source.path}`, line: r.line });
        },
        { framing, ...(maxRecordBytes ? { maxRecordBytes } : {}), ...(source.follow ? { follow: { signal: abort.signal } } : {}) },
      )
        .then(({ records }) => log.info({ switch: sw.row.name, source: name, records }, 'file read'))
        .catch((err: unknown) => {
          status.lastError = (err as Error).message;
          log.error({ err, switch: sw.row.name, source: name }, 'file source failed');
        })
        .finally(() => {
          status.connected = false;
          delivery.ended(ref, name);
        });
      return {
        refs: [ref],
        status: () => ({ ...status }),
        done,
        async stop() {
          abort.abort();
          await done;
        },
      };
    }
    case 'directory': {
      // One stream per flat file: a CUCM file starts with its own header lines.
      const transport = startFileTail(
        {
          mode: 'directory',
          path: source.path,
          ...(source.pattern ? { pattern: source.pattern } : {}),
          doneAction: source.doneAction,
          framing,
          ...(maxRecordBytes ? { maxRecordBytes } : {}),
          stateFile: stateFile(source.stateFile),
          pollMs: seconds(source.pollSeconds),
          fromStart: source.fromStart,
          ...durable,
          onFileDone: (peer) => delivery.ended(ref, `${name} ${peer}`),
        },
        (r) => delivery.record(ref, `${name} ${r.peer}`, r),
      );
      return fromTransport([ref], transport);
    }
    case 'sql': {
      // Rows arrive as JSON records for the sql-row format; the high-water mark moves only once
      // they are journaled (delivery.settled).
      const abort = new AbortController();
      const peer = `sql:${source.engine}:${source.table ?? source.preset}`;
      let line = 0;
      const pull = startSqlPull(source, (r) => delivery.record(ref, name, { text: r.text, truncated: false, peer, line: ++line }), {
        stateDir,
        signal: abort.signal,
        ...(delivery.settled ? { flush: () => delivery.settled!() } : {}),
      });
      return {
        refs: [ref],
        status: () => {
          const s = pull.status();
          return { ...newStatus(), connected: s.connected, records: s.rows, reconnects: s.outages, lastRecordAt: s.lastRowAt, lastError: s.lastError };
        },
        done: new Promise<void>(() => undefined),
        async stop() {
          abort.abort();
          await pull.stop();
        },
      };
    }
    case 'tcp-client': {
      const transport = startTcpClient(
        {
          host: source.host,
          port: source.port,
          framing,
          ...(maxRecordBytes ? { maxRecordBytes } : {}),
          ...(source.startBytes ? { startBytes: hexToBytes(source.startBytes) } : {}),
          ...(source.login ? { login: source.login } : {}),
          loginTimeoutMs: seconds(source.loginTimeoutSeconds),
          connectTimeoutMs: seconds(source.connectTimeoutSeconds),
          keepAliveMs: seconds(source.keepAliveSeconds),
          idleTimeoutMs: seconds(source.idleTimeoutSeconds),
          backoff: { initialMs: seconds(source.reconnect.initialSeconds), maxMs: seconds(source.reconnect.maxSeconds), jitter: source.reconnect.jitter },
        },
        sink,
      );
      return fromTransport([ref], transport);
    }
    case 'serial': {
      const transport = startSerial(
        {
          path: source.path,
          baudRate: source.baudRate,
          dataBits: source.dataBits,
          parity: source.parity,
          stopBits: source.stopBits,
          flowControl: source.flowControl,
          framing,
          ...(maxRecordBytes ? { maxRecordBytes } : {}),
          backoff: { initialMs: seconds(source.reopen.initialSeconds), maxMs: seconds(source.reopen.maxSeconds), jitter: source.reopen.jitter },
        },
        sink,
      );
      return fromTransport([ref], transport);
    }
    case 'gateway-listener': {
      const { host, port } = splitHostPort(source.listen);
      const transport = await startGatewayListener(
        {
          host,
          port,
          ...(source.allow ? { allow: source.allow } : {}),
          timeZone: sw.row.timezone,
          ...(maxRecordBytes ? { maxRecordBytes } : {}),
          idleTimeoutMs: seconds(source.idleTimeoutSeconds),
          maxConnections: source.maxConnections,
          badPacketLog: source.badPacketLog,
        },
        sink,
      );
      return fromTransport([ref], transport);
    }
    default:
      throw new Error(`startSingle: ${source.type} is a shared listener`);
  }
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(listen.slice(colon + 1)) };
}

type ListenerRef = SourceRef & { source: Extract<SourceConfig, { type: 'tcp-server' | 'udp' }> };

/** One TCP server or UDP socket for every source that listens on the same address. */
async function startListener(refs: ListenerRef[], delivery: RecordDelivery): Promise<RunningSource> {
  const first = refs[0]!.source;
  const { host, port } = splitHostPort(first.listen);
  // Sources with `from` first: the one without takes everyone else.
  const ordered = [...refs].sort((a, b) => Number(!a.source.from) - Number(!b.source.from));
  /** The open streams of each TCP source: one per connection. */
  const open = new Map<ListenerRef, Set<string>>(refs.map((ref) => [ref, new Set<string>()]));
  const routes: Route[] = ordered.map((ref) => {
    const stream = (peer: string): string => (ref.source.type === 'udp' ? ref.name : `${ref.name} ${peer}`);
    return {
      name: `${ref.sw.row.name}/${ref.name}`,
      ...(ref.source.from ? { from: ref.source.from } : {}),
      framing: ref.sw.format.framing,
      ...(ref.source.maxRecordBytes ? { maxRecordBytes: ref.source.maxRecordBytes } : {}),
      sink: (r: ReceivedRecord) => {
        const key = stream(r.peer);
        open.get(ref)!.add(key);
        return delivery.record(ref, key, r);
      },
    };
  });
  // An allow-list applies when every source sharing the address has one.
  const allow = refs.every((r) => r.source.allow) ? refs.flatMap((r) => r.source.allow!) : undefined;
  if (first.type === 'udp') {
    const transport = await startUdp({ host, port, routes, ...(allow ? { allow } : {}), maxQueuedRecords: first.maxQueuedRecords });
    return fromTransport(refs, transport);
  }
  const transport = await startTcpServer({
    host,
    port,
    routes,
    ...(allow ? { allow } : {}),
    idleTimeoutMs: seconds(first.idleTimeoutSeconds),
    maxConnections: first.maxConnections,
    keepAliveMs: seconds(first.keepAliveSeconds),
    onClose: (peer) => {
      for (const ref of refs) {
        const key = `${ref.name} ${peer}`;
        if (open.get(ref)!.delete(key)) delivery.ended(ref, key);
      }
    },
  });
  return fromTransport(refs, transport);
}

/** Starts every enabled source; a source that cannot start is logged and the others run. */
export async function startSources(refs: SourceRef[], delivery: RecordDelivery, stateDir = join('data', 'sources')): Promise<RunningSource[]> {
  const running: RunningSource[] = [];
  const listeners = new Map<string, ListenerRef[]>();
  for (const ref of refs) {
    if (!ref.source.enabled) continue;
    if (ref.source.type === 'tcp-server' || ref.source.type === 'udp') {
      const key = `${ref.source.type} ${ref.source.listen}`;
      listeners.set(key, [...(listeners.get(key) ?? []), ref as ListenerRef]);
      continue;
    }
    try {
      running.push(await startSingle(ref, delivery, stateDir));
    } catch (err) {
      log.error({ err, switch: ref.sw.row.name, source: ref.name }, 'source could not start');
    }
  }
  for (const group of listeners.values()) {
    try {
      running.push(await startListener(group, delivery));
    } catch (err) {
      log.error({ err, sources: group.map((r) => `${r.sw.row.name}/${r.name}`) }, 'listener could not start');
    }
  }
  return running;
}
