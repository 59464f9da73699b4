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

// Push mode: PBXs connect to us (seeds 002, 003). One listener serves many PBXs at once; each
// connection has its own framer, and its records go to the route its source address picks (two
// PBXs on one port → two switches). A peer outside the allow-list is refused before a byte is read.

const log = logger('transport.tcp-server');

/**
 * When this many connections wait on the sink at once, the sink is the slow side: reading the
 * others would only move their bytes from the kernel's socket buffers into our memory (a burst
 * from 500 PBXs at once). None is read until half of those are through.
 */
const CONGESTED = 16;

export interface TcpServerOptions {
  /** "0.0.0.0", "::", "127.0.0.1" … */
  host: string;
  /** 0: any free port (see `address()`). */
  port: number;
  /** Addresses and CIDR blocks that may connect; absent: anyone a route takes. */
  allow?: string[];
  /** First match wins; a route without `from` takes everyone else. A peer no route takes is refused. */
  routes: Route[];
  /** No bytes from a connection for this long → it is closed (the PBX reconnects). 0/absent: never. */
  idleTimeoutMs?: number;
  /** Connections beyond this are refused. Default 256. */
  maxConnections?: number;
  /** TCP keepalive probe delay; 0 turns it off. Default 60 s. */
  keepAliveMs?: number;
  /** Told of each accepted connection (before its first record). */
  onOpen?: (peer: string) => void;
  /** Told when a connection closed and its records were handed on; `clean`: the peer ended it. */
  onClose?: (peer: string, clean: boolean) => void;
}

export interface TcpServerTransport extends Transport {
  /** The bound address, e.g. { host: '127.0.0.1', port: 40123 }. */
  address(): { host: string; port: number };
  /** Closes one connection (by its peer, "tcp://10.0.0.5:2387"); false when there is none. */
  disconnect(peer: string): boolean;
}

interface Connection {
  peer: string;
  socket: net.Socket;
  receiver: StreamReceiver;
}

/** Resolves once listening; rejects with a TRANSPORT error naming the address when it cannot. */
export async function startTcpServer(options: TcpServerOptions): Promise<TcpServerTransport> {
  const routes = compileRoutes(options.routes);
  const allow = options.allow ? createAddressList(options.allow, 'allow') : null;
  const maxConnections = options.maxConnections ?? 256;
  const status = newStatus();
  const open = new Set<Connection>();
  let accepted = 0;
  let stopping = false;
  const listenAddress = peerUrl('tcp', options.host, options.port);
  /** Connections whose records wait on the sink; past CONGESTED of them, no connection is read. */
  const waiting = new Set<Connection>();
  let congested = false;
  const readNone = (): void => {
    congested = true;
    for (const c of open) c.socket.pause();
  };
  const readAll = (): void => {
    congested = false;
    for (const c of open) if (!waiting.has(c) && !c.socket.destroyed) c.socket.resume();
  };
  const doneWaiting = (c: Connection): void => {
    waiting.delete(c);
    if (congested && waiting.size <= CONGESTED / 2) readAll();
  };

  const refuse = (socket: net.Socket, peer: string, why: string): void => {
    status.dropped++;
    log.warn({ peer, listener: listenAddress }, `connection refused: ${why}`);
    socket.on('error', () => {});
    socket.destroy();
  };

  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    const remote = socket.remoteAddress ?? '';
    const peer = peerUrl('tcp', remote, socket.remotePort ?? 0);
    if (stopping) return refuse(socket, peer, 'the listener is stopping');
    if (allow && !addressIn(allow, remote)) return refuse(socket, peer, 'address not in the allow-list');
    const route = routeFor(routes, remote);
    if (!route) return refuse(socket, peer, 'no route takes this address');
    if (open.size >= maxConnections) return refuse(socket, peer, `already ${maxConnections} connections`);

    if (accepted++ > 0) status.reconnects++;
    const receiver = new StreamReceiver({
      peer,
      framing: route.framing,
      ...(route.maxRecordBytes ? { maxRecordBytes: route.maxRecordBytes } : {}),
      sink: route.sink,
      status,
      log,
      pause: () => {
        socket.pause();
        waiting.add(connection);
        if (!congested && waiting.size >= CONGESTED) readNone();
      },
      resume: () => {
        doneWaiting(connection);
        if (!congested && !socket.destroyed) socket.resume();
      },
    });
    const connection: Connection = { peer, socket, receiver };
    open.add(connection);
    status.connections = open.size;
    log.info({ peer, route: route.name, connections: open.size }, 'connection accepted');
    options.onOpen?.(peer);

    if (options.keepAliveMs !== 0) socket.setKeepAlive(true, options.keepAliveMs ?? 60_000);
    let idle: NodeJS.Timeout | null = null;
    if (options.idleTimeoutMs) {
      const ms = options.idleTimeoutMs;
      idle = setTimeout(function onIdle() {
        if (receiver.busy || congested) return idle?.refresh(); // we are the slow side
        log.warn({ peer }, `no data for ${ms} ms; closing`);
        status.lastError = `${peer}: idle for ${ms} ms; closed`;
        socket.destroy();
      }, ms);
    }
    let cleanEnd = false;
    socket.on('data', (chunk: Buffer) => {
      idle?.refresh();
      receiver.push(chunk);
    });
    socket.on('end', () => (cleanEnd = true));
    socket.on('error', (err) => {
      status.lastError = `${peer}: ${errorText(err)}`;
      log.warn({ peer, err: errorText(err) }, 'connection failed');
    });
    socket.on('close', () => {
      if (idle) clearTimeout(idle);
      open.delete(connection);
      doneWaiting(connection);
      status.connections = open.size;
      void (cleanEnd ? receiver.end() : receiver.abort('connection broke')).then(() => {
        log.info({ peer, records: receiver.records }, 'connection closed');
        options.onClose?.(peer, cleanEnd);
      });
    });
    if (!congested) socket.resume();
  });
  server.on('error', (err) => {
    status.lastError = `${listenAddress}: ${errorText(err)}`;
    log.error({ listener: listenAddress, err: errorText(err) }, 'listener failed');
  });

  await listening(server, listenAddress, (done) => server.listen(options.port, options.host, done));
  status.connected = true;
  const bound = server.address() as net.AddressInfo;
  log.info({ listener: peerUrl('tcp', bound.address, bound.port) }, 'listening');

  return {
    status: (): TransportStatus => ({ ...status }),
    address: () => ({ host: bound.address, port: bound.port }),
    disconnect(peer) {
      for (const c of open) {
        if (c.peer !== peer) continue;
        c.socket.destroy();
        return true;
      }
      return false;
    },
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const ending = [...open].map(async ({ socket, receiver }) => {
        if (!socket.destroyed) {
          const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
          socket.end();
          socket.resume();
          const timer = setTimeout(() => socket.destroy(), 1000);
          await gone;
          clearTimeout(timer);
        }
        await receiver.settled();
      });
      await Promise.all([closed, ...ending]);
      status.connected = false;
    },
  };
}
