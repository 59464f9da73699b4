import net from 'node:net';
import { logger } from '../core/log.js';
import type { Framing } from '../framing/framer.js';
import {
  Backoff,
  errorText,
  newStatus,
  pause,
  peerUrl,
  StreamReceiver,
  type BackoffOptions,
  type ReceiveSink,
  type Transport,
  type TransportStatus,
} from './transport.js';

// Local mode: we connect to the PBX (seeds 001, 002) and keep connecting. On every connection the
// start command (Mitel 5000: 02 00 00 00 84 00) and the login dialogue (Panasonic: "-" → SMDR,
// "Enter Password:" → PCCSMDR) run before records are read.

const log = logger('transport.tcp-client');

export interface LoginStep {
  /** Text the PBX sends (a prompt); matched byte for byte anywhere in what arrives. */
  expect: string;
  /** Sent once `expect` arrived, as it is (include "\r\n" where the PBX wants one). */
  send: string;
}

export interface TcpClientOptions {
  host: string;
  port: number;
  framing: Framing;
  maxRecordBytes?: number;
  /** Sent first on every connection. */
  startBytes?: Uint8Array;
  login?: LoginStep[];
  /** How long the whole login dialogue may take. Default 10 s. */
  loginTimeoutMs?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** TCP keepalive probe delay; 0 turns keepalive off. Default 30 s. */
  keepAliveMs?: number;
  /**
   * No bytes for this long → the connection is taken for dead (half-open) and made again. Not
   * counted while the sink holds reading back. 0 or absent: never.
   */
  idleTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** A connection that lasted this long resets the backoff even without records. Default 10 s. */
  stableAfterMs?: number;
}

export interface TcpClientTransport extends Transport {
  /** Resolves when the first connection is made (or the transport stopped). For tests and `collect --once`. */
  connected(): Promise<void>;
}

/** Starts connecting at once; never throws for network trouble, it retries with backoff. */
export function startTcpClient(options: TcpClientOptions, sink: ReceiveSink): TcpClientTransport {
  const status = newStatus();
  const stopping = new AbortController();
  const backoff = new Backoff(options.backoff);
  const address = peerUrl('tcp', options.host, options.port);
  let socket: net.Socket | null = null;
  let connectedBefore = false;
  let firstConnect: () => void = () => {};
  const firstConnected = new Promise<void>((resolve) => (firstConnect = resolve));
  stopping.signal.addEventListener('abort', () => firstConnect());

  /** One connection, from connect to close. Resolves whether it got going (for the backoff). */
  const session = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.connect({ host: options.host, port: options.port });
      socket = s;
      const startedAt = Date.now();
      let receiver: StreamReceiver | null = null;
      let loggedIn = !options.login || options.login.length === 0;
      let step = 0;
      let heard = Buffer.alloc(0);
      let cleanEnd = false;
      let timer: NodeJS.Timeout | null = null;
      let timerReason = '';
      const arm = (ms: number, reason: string): void => {
        if (timer) clearTimeout(timer);
        timerReason = reason;
        timer = ms > 0 ? setTimeout(onTimer, ms) : null;
      };
      const onTimer = (): void => {
        if (timerReason === 'idle' && receiver?.busy) return arm(options.idleTimeoutMs!, 'idle'); // we are the slow side
        const text =
          timerReason === 'connect'
            ? `cannot connect to ${address}: timed out`
            : timerReason === 'login'
              ? `${address}: login did not complete (waiting for "${options.login?.[step]?.expect}")`
              : `${address}: no data for ${options.idleTimeoutMs} ms; reconnecting`;
        status.lastError = text;
        log.warn({ peer: address }, text);
        s.destroy();
      };
      arm(options.connectTimeoutMs ?? 10_000, 'connect');

      const startReading = (rest: Buffer): void => {
        loggedIn = true;
        arm(options.idleTimeoutMs ?? 0, 'idle');
        if (rest.length > 0) receiver!.push(rest);
      };
      const dialogue = (chunk: Buffer): void => {
        heard = Buffer.concat([heard, chunk]);
        const steps = options.login!;
        while (step < steps.length) {
          const want = Buffer.from(steps[step]!.expect, 'utf8');
          const at = heard.indexOf(want);
          if (at < 0) {
            // Keep only the tail that could still begin the prompt.
            heard = heard.subarray(Math.max(0, heard.length - want.length + 1));
            return;
          }
          heard = heard.subarray(at + want.length);
          s.write(steps[step]!.send);
          log.info({ peer: address, step: step + 1, expect: steps[step]!.expect }, 'login step answered');
          step++;
        }
        startReading(heard);
      };

      s.on('connect', () => {
        if (connectedBefore) status.reconnects++;
        connectedBefore = true;
        status.connected = true;
        status.connections = 1;
        firstConnect();
        log.info({ peer: address }, 'connected');
        if (options.keepAliveMs !== 0) s.setKeepAlive(true, options.keepAliveMs ?? 30_000);
        s.setNoDelay(true);
        receiver = new StreamReceiver({
          peer: address,
          framing: options.framing,
          ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
          sink,
          status,
          log,
          pause: () => s.pause(),
          resume: () => {
            if (!s.destroyed) s.resume();
          },
        });
        if (options.startBytes && options.startBytes.length > 0) s.write(options.startBytes);
        if (loggedIn) startReading(Buffer.alloc(0));
        else arm(options.loginTimeoutMs ?? 10_000, 'login');
      });
      s.on('data', (chunk: Buffer) => {
        if (timer && timerReason === 'idle') timer.refresh();
        if (loggedIn) receiver!.push(chunk);
        else dialogue(chunk);
      });
      s.on('end', () => {
        cleanEnd = true;
      });
      s.on('error', (err) => {
        status.lastError = `${address}: ${errorText(err)}`;
        log.warn({ peer: address, err: errorText(err) }, status.connected ? 'connection failed' : 'cannot connect');
      });
      s.on('close', () => {
        if (timer) clearTimeout(timer);
        const wasUp = status.connected;
        status.connected = false;
        status.connections = 0;
        if (socket === s) socket = null;
        if (wasUp) log.info({ peer: address, records: receiver?.records ?? 0 }, 'disconnected');
        const r = receiver;
        const lasted = Date.now() - startedAt >= (options.stableAfterMs ?? 10_000);
        if (!r) return resolve(false);
        void (cleanEnd ? r.end() : r.abort('connection broke')).then(() => resolve(r.records > 0 || lasted));
      });
    });

  const running = (async () => {
    while (!stopping.signal.aborted) {
      const stable = await session();
      if (stopping.signal.aborted) break;
      if (stable) backoff.reset();
      await pause(backoff.next(), stopping.signal);
    }
  })();

  return {
    status: (): TransportStatus => ({ ...status }),
    connected: () => firstConnected,
    async stop() {
      stopping.abort();
      const s = socket;
      if (s && !s.destroyed) {
        s.end();
        const timer = setTimeout(() => s.destroy(), 1000);
        s.resume(); // read to the end so that our close is not a reset
        await running;
        clearTimeout(timer);
      }
      await running;
    },
  };
}
