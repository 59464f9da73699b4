import { SerialPort } from 'serialport';
import { logger } from '../core/log.js';
import type { Framing } from '../framing/framer.js';
import { Backoff, errorText, newStatus, pause, StreamReceiver, type BackoffOptions, type ReceiveSink, type Transport, type TransportStatus } from './transport.js';

// Records from a serial port (seed 000: SMDR at 9600 baud). When the device goes away (a USB
// adapter unplugged, the port server restarted) it is reopened with backoff until it comes back;
// the PBX buffers meanwhile.

const log = logger('transport.serial');

export type FlowControl = 'none' | 'rtscts' | 'xonxoff';

export interface SerialOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  flowControl?: FlowControl;
  framing: Framing;
  maxRecordBytes?: number;
  /** Reopening after the device failed or vanished. Default 1 s growing to 30 s. */
  backoff?: BackoffOptions;
}

export interface SerialTransport extends Transport {
  /** Resolves when the port is first open (or the transport stopped). */
  opened(): Promise<void>;
}

export function startSerial(options: SerialOptions, sink: ReceiveSink): SerialTransport {
  const status = newStatus();
  const stopping = new AbortController();
  const backoff = new Backoff({ initialMs: 1000, maxMs: 30_000, ...options.backoff });
  const peer = `serial:${options.path}`;
  let port: SerialPort | null = null;
  let firstOpen: () => void = () => {};
  const firstOpened = new Promise<void>((resolve) => (firstOpen = resolve));
  stopping.signal.addEventListener('abort', () => firstOpen());
  let failingSince: string | null = null;
  let openedBefore = false;

  /** Opens the port and reads until it closes; resolves false when it could not open. */
  const session = (): Promise<boolean> =>
    new Promise((resolve) => {
      const p = new SerialPort({
        path: options.path,
        baudRate: options.baudRate,
        dataBits: options.dataBits ?? 8,
        parity: options.parity ?? 'none',
        stopBits: options.stopBits ?? 1,
        rtscts: options.flowControl === 'rtscts',
        xon: options.flowControl === 'xonxoff',
        xoff: options.flowControl === 'xonxoff',
        autoOpen: false,
      });
      p.open((err) => {
        if (err) {
          const text = `cannot open ${options.path}: ${errorText(err)}`;
          status.lastError = text;
          // One warning per outage, not one per retry.
          if (failingSince !== text) log.warn({ peer }, text);
          failingSince = text;
          return resolve(false);
        }
        if (stopping.signal.aborted) {
          p.close(() => resolve(true));
          return;
        }
        port = p;
        if (openedBefore) status.reconnects++;
        openedBefore = true;
        failingSince = null;
        status.connected = true;
        status.connections = 1;
        firstOpen();
        log.info({ peer, baudRate: options.baudRate }, 'serial port open');
        const receiver = new StreamReceiver({
          peer,
          framing: options.framing,
          ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
          sink,
          status,
          log,
          pause: () => p.pause(),
          resume: () => {
            if (p.isOpen) p.resume();
          },
        });
        p.on('data', (chunk: Buffer) => receiver.push(chunk));
        p.on('error', (e: Error) => {
          status.lastError = `${options.path}: ${errorText(e)}`;
          log.warn({ peer, err: errorText(e) }, 'serial port failed');
        });
        p.on('close', (e: (Error & { disconnected?: boolean }) | null) => {
          port = null;
          status.connected = false;
          status.connections = 0;
          if (e?.disconnected) {
            status.lastError = `${options.path}: the device went away`;
            log.warn({ peer }, 'serial device went away; reopening');
          }
          // A record cut by a vanished device is incomplete; on our own close it is too.
          void receiver.abort(e?.disconnected ? 'device went away' : 'port closed').then(() => resolve(true));
        });
      });
    });

  const running = (async () => {
    while (!stopping.signal.aborted) {
      const wasOpen = await session();
      if (stopping.signal.aborted) break;
      if (wasOpen) backoff.reset();
      await pause(backoff.next(), stopping.signal);
    }
  })();

  return {
    status: (): TransportStatus => ({ ...status }),
    opened: () => firstOpened,
    async stop() {
      stopping.abort();
      const p = port;
      if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
      await running;
    },
  };
}
