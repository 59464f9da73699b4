import dgram from 'node:dgram';
import net from 'node:net';
import { logger } from '../core/log.js';
import {
  addressIn,
  compileRoutes,
  createAddressList,
  errorText,
  newStatus,
  peerUrl,
  routeFor,
  StreamReceiver,
  type Route,
  type Transport,
  type TransportStatus,
  listening,
} from './transport.js';

// Records in UDP datagrams. A datagram holds one or several records; with line framing the end of a
// datagram also ends a record (most PBXs send one record per datagram without a newline). Each
// peer address has its own framer, so fixed-length and STX/ETX records may span datagrams.
// UDP cannot be paused: when the sink falls behind, datagrams beyond the queue limit are dropped
// and counted, so memory stays bounded.

const log = logger('transport.udp');

export interface UdpOptions {
  host: string;
  port: number;
  allow?: string[];
  routes: Route[];
  /** Peers kept (each with its framer); the least recently heard is forgotten beyond. Default 1024. */
  maxPeers?: number;
  /** Records waiting for the sink across all peers before datagrams are dropped. Default 10 000. */
  maxQueuedRecords?: number;
}

export interface UdpTransport extends Transport {
  address(): { host: string; port: number };
}

export async function startUdp(options: UdpOptions): Promise<UdpTransport> {
  const routes = compileRoutes(options.routes);
  const allow = options.allow ? createAddressList(options.allow, 'allow') : null;
  const maxPeers = options.maxPeers ?? 1024;
  const maxQueued = options.maxQueuedRecords ?? 10_000;
  const status = newStatus();
  /** By "address:port", least recently heard first (Map keeps insertion order). */
  const peers = new Map<string, StreamReceiver>();
  const listenAddress = `udp://${options.host}:${options.port}`;
  let queued = 0;
  let stopping = false;
  const socket = dgram.createSocket(net.isIPv6(options.host) ? 'udp6' : 'udp4');

  const queuedNow = (): number => {
    let n = 0;
    for (const r of peers.values()) n += r.queued;
    return n;
  };

  socket.on('message', (msg, rinfo) => {
    if (stopping) return;
    const peer = peerUrl('udp', rinfo.address, rinfo.port);
    if (allow && !addressIn(allow, rinfo.address)) {
      status.dropped++;
      status.bytes += msg.length;
      log.warn({ peer }, 'datagram dropped: address not in the allow-list');
      return;
    }
    const route = routeFor(routes, rinfo.address);
    if (!route) {
      status.dropped++;
      status.bytes += msg.length;
      log.warn({ peer }, 'datagram dropped: no route takes this address');
      return;
    }
    // The sink is slow: the count is refreshed only when it looks full, to keep the common path cheap.
    if (queued >= maxQueued && (queued = queuedNow()) >= maxQueued) {
      status.dropped++;
      status.bytes += msg.length;
      status.lastError = `${peer}: the sink is behind (${queued} records waiting); datagram of ${msg.length} bytes dropped`;
      log.warn({ peer, bytes: msg.length, queued }, 'datagram dropped: the sink is behind');
      return;
    }
    const key = `${rinfo.address}:${rinfo.port}`;
    let receiver = peers.get(key);
    if (receiver) {
      peers.delete(key); // re-inserted below as the most recent
    } else {
      receiver = new StreamReceiver({
        peer,
        framing: route.framing,
        ...(route.maxRecordBytes ? { maxRecordBytes: route.maxRecordBytes } : {}),
        sink: route.sink,
        status,
        log,
      });
      if (peers.size >= maxPeers) {
        const [oldestKey, oldest] = peers.entries().next().value!;
        peers.delete(oldestKey);
        void oldest.end();
      }
    }
    peers.set(key, receiver);
    status.connections = peers.size;
    receiver.push(msg);
    if (route.framing.kind === 'lines') receiver.endUnit();
    queued += receiver.queued;
  });
  socket.on('error', (err) => {
    status.lastError = `${listenAddress}: ${errorText(err)}`;
    log.error({ listener: listenAddress, err: errorText(err) }, 'UDP socket failed');
  });

  await listening(socket, listenAddress, (done) => socket.bind(options.port, options.host, done));
  status.connected = true;
  const bound = socket.address();
  log.info({ listener: `udp://${bound.address}:${bound.port}` }, 'listening');

  return {
    status: (): TransportStatus => ({ ...status }),
    address: () => ({ host: bound.address, port: bound.port }),
    async stop() {
      stopping = true;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await Promise.all([...peers.values()].map((r) => r.end()));
      status.connected = false;
    },
  };
}
