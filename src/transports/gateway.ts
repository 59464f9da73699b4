import { logger } from '../core/log.js';
import { isoInZone } from '../core/time.js';
import { gatewayEvents } from '../formats/gateway-events/format.js';
import type { RecordParser } from '../formats/format.js';
import { startTcpServer } from './tcp-server.js';
import { errorText, newStatus, type ReceivedRecord, type ReceiveSink, type Transport, type TransportStatus } from './transport.js';

// The gateway listener of seed 003: VoIP gateways connect and send gateway-events lines
// (src/formats/gateway-events/README.md). A connection registers the gateways its lines name; when
// a gateway registers again from another connection (it rebooted, or its NAT mapping changed) the
// older connection is kicked out. What the old CDR server logged about its gateways, this listener
// writes into the same stream as gateway log lines, so they become GATEWAY_* events:
//   Re-Login! and Relogin Kickout  when a gateway registers again,
//   Gateway Disconnect             when a connection ends (unless it was kicked out),
//   Bad Packet                     for a line that is not the protocol (a scanner, a broken relay).
// A connection whose first line is bad never identified itself and is closed; a registered gateway
// that sends a bad line keeps its connection. Bad lines are kept (bounded) for the status page.

const log = logger('transport.gateway');

export interface GatewayListenerOptions {
  host: string;
  port: number;
  allow?: string[];
  /** The switch's zone: the time stamps of the log lines written here. */
  timeZone: string;
  maxRecordBytes?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** Bad packets kept for the status (newest last). Default 100. */
  badPacketLog?: number;
  /** The clock (tests). */
  now?: () => number;
}

export interface GatewaySession {
  /** As its lines name it: "8200_000C2A020082" or "8200". */
  gateway: string;
  peer: string;
  since: string;
  records: number;
}

export interface BadPacket {
  at: string;
  peer: string;
  /** The gateway the connection registered, if it had. */
  gateway: string | null;
  reason: string;
  /** The start of the line, control bytes escaped. */
  sample: string;
}

export interface GatewayStatus extends TransportStatus {
  gateways: GatewaySession[];
  badPackets: BadPacket[];
  kickouts: number;
}

export interface GatewayListener extends Transport {
  status(): GatewayStatus;
  address(): { host: string; port: number };
}

interface Connection {
  peer: string;
  parse: RecordParser;
  gateways: Set<string>;
  kicked: boolean;
}

const SAMPLE_CHARS = 80;

function sampleOf(text: string): string {
  const head = text.slice(0, SAMPLE_CHARS);
  const escaped = head.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > SAMPLE_CHARS ? `${escaped}…` : escaped;
}

/** "8200_000C2A020082" → Gateway[8200] MAC[000C2A020082]; "8200" → Gateway[8200]. */
function gatewayTag(gateway: string): string {
  const m = /^(.+)_([0-9A-Fa-f]{12})$/.exec(gateway);
  return m ? `Gateway[${m[1]}] MAC[${m[2]}]` : `Gateway[${gateway}]`;
}

/** "tcp://10.0.0.5:2387" → "10.0.0.5:2387" as the old server printed it. */
function hostPort(peer: string): string {
  return peer.replace(/^tcp:\/\//, '').replace(/^\[(.*)\](:\d+)$/, '$1$2');
}

export async function startGatewayListener(options: GatewayListenerOptions, sink: ReceiveSink): Promise<GatewayListener> {
  const now = options.now ?? Date.now;
  const keep = options.badPacketLog ?? 100;
  const connections = new Map<string, Connection>();
  /** Gateway → the connection it is registered on. */
  const registered = new Map<string, { connection: Connection; since: string; records: number }>();
  const badPackets: BadPacket[] = [];
  let kickouts = 0;
  let droppedAfterBad = 0;
  let stopping = false;
  let ownLines = 0;
  const own = newStatus(); // the synthetic lines' sink failures
  const ctx = () => ({ timeZone: options.timeZone, referenceDate: isoInZone(now(), options.timeZone).slice(0, 10) });
  const stamp = (): string => {
    const iso = isoInZone(now(), options.timeZone);
    return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
  };
  let listenerPeer = '';

  /** Writes a gateway log line of ours into the stream. */
  const write = (gateway: string, message: string): Promise<void> | undefined => {
    const record: ReceivedRecord = { text: `${gateway}\t${stamp()}\t${message}`, truncated: false, peer: listenerPeer, line: ++ownLines };
    const failed = (err: unknown): void => {
      own.lastError = `sink failed on a gateway log line: ${errorText(err)}`;
      log.error({ err, line: record.text }, 'a gateway log line could not be handed on');
    };
    try {
      return sink(record)?.catch(failed);
    } catch (err) {
      failed(err);
      return undefined;
    }
  };
  const chain = (...waits: (Promise<void> | undefined)[]): Promise<void> | undefined => {
    const pending = waits.filter((w): w is Promise<void> => w !== undefined);
    return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
  };

  const register = (c: Connection, gateway: string): Promise<void> | undefined => {
    if (gateway === '???' || c.gateways.has(gateway)) return undefined;
    c.gateways.add(gateway);
    const older = registered.get(gateway);
    registered.set(gateway, { connection: c, since: new Date(now()).toISOString(), records: 0 });
    if (!older || older.connection === c) {
      log.info({ gateway, peer: c.peer }, 'gateway registered');
      return undefined;
    }
    // The same gateway again from another connection: the older session goes.
    kickouts++;
    older.connection.kicked = true;
    older.connection.gateways.delete(gateway);
    log.warn({ gateway, peer: c.peer, older: older.connection.peer }, 'gateway logged in again; the older session is kicked out');
    const waits = [
      write(gateway, `${gatewayTag(gateway)} From [${hostPort(c.peer)}] Re-Login!`),
      write(gateway, `${gatewayTag(gateway).replace(/ MAC\[.*\]$/, '')} from [${hostPort(older.connection.peer)}] Relogin Kickout`),
    ];
    // Its other gateways (a relay) stay registered until the close tells their disconnect.
    server.disconnect(older.connection.peer);
    return chain(...waits);
  };

  const bad = (c: Connection, record: ReceivedRecord, reason: string): Promise<void> | undefined => {
    const gateway = c.gateways.values().next().value ?? null;
    badPackets.push({ at: new Date(now()).toISOString(), peer: c.peer, gateway, reason, sample: sampleOf(record.text) });
    if (badPackets.length > keep) badPackets.splice(0, badPackets.length - keep);
    log.warn({ peer: c.peer, gateway, line: record.line, reason }, 'bad packet');
    const wait = write(gateway ?? '???', `${gateway ? gatewayTag(gateway).replace(/ MAC\[.*\]$/, '') : 'Gateway[???]'} from [${hostPort(c.peer)}] Bad Packet`);
    if (!gateway) {
      // Never identified itself: not a gateway of ours. Its lines still queued are dropped (counted).
      c.kicked = true;
      server.disconnect(c.peer);
    }
    return wait;
  };

  const receive: ReceiveSink = (record) => {
    const c = connections.get(record.peer);
    if (!c) return sink(record);
    const result = record.truncated ? ({ kind: 'error', error: 'line longer than maxRecordBytes' } as const) : c.parse(record.text);
    if (result.kind === 'error') {
      if (c.kicked && c.gateways.size === 0) {
        droppedAfterBad++;
        return undefined;
      }
      return bad(c, record, result.error);
    }
    let gateway: string | null = null;
    if (result.kind === 'event') {
      const named = result.event.data?.gateway;
      gateway = typeof named === 'string' ? named : result.event.callRef.slice(0, result.event.callRef.lastIndexOf(':'));
    }
    // A kicked-out connection's lines still queued are handed on, but register nothing.
    const before = gateway && !c.kicked ? register(c, gateway) : undefined;
    if (gateway) {
      const session = registered.get(gateway);
      if (session) session.records++;
    }
    return before ? before.then(() => sink(record)) : sink(record);
  };

  const server = await startTcpServer({
    host: options.host,
    port: options.port,
    ...(options.allow ? { allow: options.allow } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    routes: [{ name: 'gateways', framing: { kind: 'lines' }, ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}), sink: receive }],
    onOpen: (peer) => {
      connections.set(peer, { peer, parse: gatewayEvents.createParser(ctx()), gateways: new Set(), kicked: false });
    },
    onClose: (peer) => {
      const c = connections.get(peer);
      connections.delete(peer);
      if (!c || stopping) return;
      for (const gateway of c.gateways) {
        if (registered.get(gateway)?.connection === c) registered.delete(gateway);
      }
      if (c.kicked && c.gateways.size === 0) return; // the kickout said it
      const names = c.gateways.size > 0 ? [...c.gateways] : ['???'];
      for (const gateway of names) {
        const tag = gateway === '???' ? 'Gateway[???]' : gatewayTag(gateway).replace(/ MAC\[.*\]$/, '');
        void write(gateway, `${tag} from [${hostPort(peer)}] Gateway Disconnect`);
      }
    },
  });
  const bound = server.address();
  listenerPeer = `gateway-listener:tcp://${bound.host}:${bound.port}`;

  return {
    address: () => bound,
    status: (): GatewayStatus => {
      const base = server.status();
      return {
        ...base,
        dropped: base.dropped + droppedAfterBad,
        lastError: own.lastError ?? base.lastError,
        gateways: [...registered].map(([gateway, s]) => ({ gateway, peer: s.connection.peer, since: s.since, records: s.records })),
        badPackets: [...badPackets],
        kickouts,
      };
    },
    async stop() {
      stopping = true;
      await server.stop();
    },
  };
}
