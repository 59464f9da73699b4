import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ReceivedRecord, ReceiveSink } from './transport.js';
export { freePort } from './transport.js';

// Helpers for the transport tests (real sockets on loopback). Not used by the product.

export interface Collected {
  records: ReceivedRecord[];
  sink: ReceiveSink;
}

export function collect(): Collected {
  const records: ReceivedRecord[] = [];
  return { records, sink: (r) => void records.push(r) };
}

/** Polls until the condition holds; fails (with what it waited for) after a generous deadline. */
export async function waitFor(what: string, condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export function write(socket: net.Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

/** Ends our side and waits for the peer's close. */
export async function endAndWait(socket: net.Socket): Promise<void> {
  const done = closed(socket);
  socket.end();
  socket.resume();
  await done;
}

/** A free loopback TCP port (bound and released). */

let gcFn: (() => void) | null = null;

/** Heap in use after a full collection (so garbage does not count). */
export function retainedHeap(): number {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed;
}

/** Deterministic pseudo-random bytes (mulberry32). */
export function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}
