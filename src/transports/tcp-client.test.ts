import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getFormat } from '../formats/registry.js';
import type { Framing } from '../framing/framer.js';
import { frameRecord, planCalls, runSimulate, START_COMMANDS, type SimulateSummary } from '../simulate/simulator.js';
import { startTcpClient, type TcpClientOptions, type TcpClientTransport } from './tcp-client.js';
import { collect, freePort, retainedHeap, waitFor } from './test-support.js';
import type { ReceivedRecord } from './transport.js';

const lines: Framing = { kind: 'lines' };
const MITEL_START = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x84, 0x00]);
const fast = { initialMs: 1, maxMs: 50, jitter: 0.5 };

let client: TcpClientTransport | null = null;
const servers: net.Server[] = [];
const accepted: net.Socket[] = [];

afterEach(async () => {
  await client?.stop();
  client = null;
  for (const s of accepted.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A PBX stand-in: a listener whose connection handler the test writes. */
async function pbx(onConnection: (socket: net.Socket, n: number) => void, port = 0): Promise<{ port: number; server: net.Server; connections: () => number }> {
  let n = 0;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
    onConnection(socket, ++n);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { port: (server.address() as net.AddressInfo).port, server, connections: () => n };
}

function start(options: Partial<TcpClientOptions> & { port: number }, sink: (r: ReceivedRecord) => Promise<void> | undefined): TcpClientTransport {
  client = startTcpClient({ host: '127.0.0.1', framing: lines, backoff: fast, ...options }, sink);
  return client;
}

describe('tcp-client transport', () => {
  it('sends the Mitel 5000 start command and reads the simulated PBX (seed 001)', async () => {
    const format = getFormat('mitel-cs5000');
    const port = await freePort();
    const opts = { format, count: 30, seed: 5, timeZone: 'America/Chicago', startMs: Date.parse('2026-01-05T14:00:00Z') };
    expect(START_COMMANDS['mitel-cs5000']).toEqual(Uint8Array.from(MITEL_START));
    let listening: () => void = () => {};
    const ready = new Promise<void>((r) => (listening = r));
    const simulated: Promise<SimulateSummary> = runSimulate({ ...opts, target: { kind: 'listen', host: '127.0.0.1', port }, onListening: () => listening() });
    await ready;
    const got = collect();
    start({ port, framing: format.framing, startBytes: MITEL_START }, got.sink);
    const summary = await simulated; // the simulator sends only after it saw the start command
    await waitFor('all records', () => got.records.length === summary.records);
    const { calls, ctx } = planCalls(opts);
    const expected = calls.flatMap((c) => format.render(c, ctx));
    expect(got.records.map((r) => r.text)).toEqual(expected);
    expect(got.records.map((r) => r.line)).toEqual(expected.map((_, i) => i + 1));
    expect(frameRecord(format.framing, 'x')).toBe('x\r\n');
  });

  it('sends the start bytes first on every connection', async () => {
    const heard: Buffer[] = [];
    const server = await pbx((socket, n) => {
      let got = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 6) {
          heard.push(got);
          socket.end(`record of connection ${n}\r\n`);
        }
      });
    });
    const got = collect();
    start({ port: server.port, startBytes: MITEL_START }, got.sink);
    await waitFor('3 connections', () => got.records.length >= 3);
    for (const h of heard.slice(0, 3)) expect([...h]).toEqual([...MITEL_START]);
    expect(got.records.slice(0, 3).map((r) => r.text)).toEqual(['record of connection 1', 'record of connection 2', 'record of connection 3']);
    expect(got.records.slice(0, 3).map((r) => r.line)).toEqual([1, 1, 1]);
  });

  it('answers the Panasonic login prompts before reading records', async () => {
    const dialogue: string[] = [];
    const server = await pbx((socket) => {
      let buffer = '';
      socket.write('\r\n-');
      socket.on('data', (d: Buffer) => {
        buffer += d.toString('latin1');
        if (buffer === 'SMDR\r\n') {
          dialogue.push(buffer);
          buffer = '';
          // The prompt arrives in two pieces: the client must wait for all of it.
          socket.write('Enter Pass');
          setTimeout(() => socket.write('word:'), 20);
        } else if (buffer === 'PCCSMDR\r\n') {
          dialogue.push(buffer);
          socket.write('\r\n 01/05/26 10:02AM   101 01 0123456789 00:00:12\r\n 01/05/26 10:05AM   102 02 0987654321 00:01:40\r\n');
        }
      });
    });
    const got = collect();
    start(
      {
        port: server.port,
        login: [
          { expect: '-', send: 'SMDR\r\n' },
          { expect: 'Enter Password:', send: 'PCCSMDR\r\n' },
        ],
      },
      got.sink,
    );
    await waitFor('2 records', () => got.records.length === 2);
    expect(dialogue).toEqual(['SMDR\r\n', 'PCCSMDR\r\n']);
    expect(got.records.map((r) => r.text)).toEqual([
      ' 01/05/26 10:02AM   101 01 0123456789 00:00:12',
      ' 01/05/26 10:05AM   102 02 0987654321 00:01:40',
    ]);
  });

  it('reconnects when the login prompt never comes', async () => {
    const server = await pbx(() => {});
    const got = collect();
    const c = start({ port: server.port, login: [{ expect: 'Password:', send: 'x\r\n' }], loginTimeoutMs: 200 }, got.sink);
    await waitFor('a second connection', () => server.connections() >= 2);
    expect(c.status().lastError).toBe('tcp://127.0.0.1:' + server.port + ': login did not complete (waiting for "Password:")');
    expect(got.records).toEqual([]);
  });

  it('takes a reconnect storm of 100 closes without losing a record written before a clean close', async () => {
    const server = await pbx((socket, n) => {
      socket.end(`call ${n} a\r\ncall ${n} b\r\n`);
    });
    const got = collect();
    const c = start({ port: server.port }, got.sink);
    await waitFor('10 connections', () => server.connections() >= 10);
    const heapAfter10 = retainedHeap();
    await waitFor('100 connections', () => got.records.length >= 200);
    const heapAfter100 = retainedHeap();
    const first200 = got.records.slice(0, 200).map((r) => r.text);
    expect(first200).toEqual(Array.from({ length: 100 }, (_, i) => [`call ${i + 1} a`, `call ${i + 1} b`]).flat());
    expect(c.status().reconnects).toBeGreaterThanOrEqual(99);
    expect(c.status().dropped).toBe(0);
    // 90 more connections leave nothing behind (each one's receiver and socket are freed).
    expect(heapAfter100 - heapAfter10).toBeLessThan(1024 * 1024);
  });

  it('survives connections reset in the middle of a record, counting what it dropped', async () => {
    const server = await pbx((socket, n) => {
      if (n <= 20) {
        socket.write(`whole ${n}\r\nhalf ${n}`, () => setTimeout(() => socket.resetAndDestroy(), 10));
      } else socket.end('final\r\n');
    });
    const got = collect();
    const c = start({ port: server.port }, got.sink);
    await waitFor('the final record', () => got.records.some((r) => r.text === 'final'));
    const texts = got.records.map((r) => r.text);
    expect(texts.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `whole ${i + 1}`));
    expect(texts.some((t) => t.startsWith('half'))).toBe(false);
    expect(c.status().dropped).toBe(20);
  });

  it('takes a half-open connection (the PBX goes silent) for dead after the idle timeout and reconnects', async () => {
    const server = await pbx((socket, n) => {
      socket.pause(); // neither reads nor answers
      if (n === 2) socket.write('after reconnect\r\n');
    });
    const got = collect();
    const c = start({ port: server.port, idleTimeoutMs: 300 }, got.sink);
    await waitFor('record from the second connection', () => got.records.length === 1);
    expect(got.records[0]).toMatchObject({ text: 'after reconnect', line: 1 });
    expect(server.connections()).toBe(2);
    expect(c.status().reconnects).toBe(1);
  });

  it('keeps a connection that sends one byte at a time within the idle timeout', async () => {
    const server = await pbx((socket) => {
      const bytes = [...'TRICKLE 9\r\n'];
      const timer = setInterval(() => {
        const b = bytes.shift();
        if (b === undefined) return clearInterval(timer);
        socket.write(b);
      }, 250);
      socket.on('close', () => clearInterval(timer));
    });
    const got = collect();
    const c = start({ port: server.port, idleTimeoutMs: 1500 }, got.sink);
    await waitFor('the record', () => got.records.length === 1);
    expect(got.records[0]!.text).toBe('TRICKLE 9');
    expect(server.connections()).toBe(1);
    expect(c.status()).toMatchObject({ connected: true, reconnects: 0, lastError: null });
  });

  it('retries a refused connection with backoff until the PBX is there', async () => {
    const port = await freePort();
    const got = collect();
    const c = start({ port, backoff: { initialMs: 20, maxMs: 100 } }, got.sink);
    await waitFor('a refusal', () => c.status().lastError !== null);
    expect(c.status().lastError).toBe(`tcp://127.0.0.1:${port}: connection refused`);
    expect(c.status().connected).toBe(false);
    await pbx((socket) => socket.write('HELLO\r\n'), port);
    await c.connected();
    await waitFor('record', () => got.records.length === 1);
    // The last error stays visible after the recovery; `connected` tells the present.
    expect(c.status()).toMatchObject({ connected: true, connections: 1, records: 1, lastError: `tcp://127.0.0.1:${port}: connection refused` });
  });

  it('pauses the socket while the sink is busy and delivers everything in order after', async () => {
    const total = 50_000;
    const server = await pbx((socket) => socket.end('Q'.repeat(60).concat('\r\n').repeat(total)));
    const got: ReceivedRecord[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const c = start({ port: server.port }, (r) => {
      got.push(r);
      return r.line === 1 ? gate : undefined;
    });
    await waitFor('first record', () => got.length === 1);
    let last = -1;
    let still = 0;
    await waitFor('reading stopped', () => {
      still = c.status().bytes === last ? still + 1 : 0;
      last = c.status().bytes;
      return still >= 20;
    });
    try {
      expect(c.status().bytes).toBeLessThan(1024 * 1024);
    } finally {
      release();
    }
    await waitFor('all records', () => got.length === total);
    expect(got.map((r) => r.line)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('stop ends the connection and a stopped client does not reconnect', async () => {
    let closes = 0;
    const server = await pbx((socket) => {
      socket.on('end', () => {
        closes++;
        socket.end();
      });
    });
    const got = collect();
    const c = start({ port: server.port }, got.sink);
    await c.connected();
    await c.stop();
    client = null;
    await waitFor('server saw the end', () => closes === 1);
    expect(c.status().connected).toBe(false);
    expect(server.connections()).toBe(1);
  });
});
