import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Framing } from '../framing/framer.js';
import { startTcpServer, type TcpServerOptions, type TcpServerTransport } from './tcp-server.js';
import { closed, collect, connect, endAndWait, noise, retainedHeap, waitFor, write } from './test-support.js';
import type { ReceivedRecord, Route } from './transport.js';

const lines: Framing = { kind: 'lines' };
let server: TcpServerTransport | null = null;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop();
  server = null;
});

async function listen(route: Omit<Route, 'framing'> & { framing?: Framing }, extra: Partial<TcpServerOptions> = {}): Promise<number> {
  server = await startTcpServer({ host: '127.0.0.1', port: 0, routes: [{ framing: lines, ...route }], ...extra });
  return server.address().port;
}

async function open(port: number, localAddress?: string): Promise<net.Socket> {
  const s = await connect(port, localAddress);
  sockets.push(s);
  return s;
}

const texts = (records: ReceivedRecord[]): string[] => records.map((r) => r.text);

/** A sink that keeps what it gets and holds every connection's first record until release(). */
function firstRecordsWait(): { got: ReceivedRecord[]; release: () => void; sink: Route['sink'] } {
  const got: ReceivedRecord[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const sink = (r: ReceivedRecord): Promise<void> | undefined => {
    got.push(r);
    return r.line === 1 ? gate : undefined;
  };
  return { got, release: () => release(), sink };
}

describe('tcp-server transport', () => {
  it('delivers every record of several concurrent connections exactly once, in order per connection', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    const clients = await Promise.all([open(port), open(port), open(port)]);
    await waitFor('3 connections', () => server!.status().connections === 3);
    for (let i = 1; i <= 300; i++) {
      const c = clients[i % 3]!;
      await write(c, `c${i % 3} r${i}\r\n`);
    }
    await Promise.all(clients.map(endAndWait));
    await waitFor('300 records', () => got.records.length === 300);
    for (let k = 0; k < 3; k++) {
      const mine = got.records.filter((r) => r.text.startsWith(`c${k} `));
      expect(mine).toHaveLength(100);
      const expected = Array.from({ length: 300 }, (_, j) => j + 1).filter((i) => i % 3 === k).map((i) => `c${k} r${i}`);
      expect(texts(mine)).toEqual(expected);
      expect(mine.map((r) => r.line)).toEqual(Array.from({ length: 100 }, (_, j) => j + 1));
      expect(new Set(mine.map((r) => r.peer)).size).toBe(1);
      expect(mine[0]!.peer).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    }
    const st = server!.status();
    expect(st).toMatchObject({ connected: true, connections: 0, records: 300, reconnects: 2, dropped: 0 });
    expect(st.bytes).toBe(got.records.reduce((n, r) => n + r.text.length + 2, 0));
  });

  it('joins a record split across reads at every byte position of a 3-record payload', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    const payload = Buffer.from('0001 ALPHA 12:00\r\n0002 BRAVO 12:01\r\n0003 CHARLIE 12:02\r\n');
    const expected = ['0001 ALPHA 12:00', '0002 BRAVO 12:01', '0003 CHARLIE 12:02'];
    for (let cut = 1; cut < payload.length; cut++) {
      const before = server!.status().bytes;
      const c = await open(port);
      await write(c, payload.subarray(0, cut));
      // The server has read the first part before the second is sent: two reads, split at `cut`.
      await waitFor('first part read', () => server!.status().bytes === before + cut);
      await write(c, payload.subarray(cut));
      await endAndWait(c);
    }
    await waitFor('all records', () => got.records.length === 3 * (payload.length - 1));
    for (let cut = 1; cut < payload.length; cut++) {
      const batch = got.records.slice(3 * (cut - 1), 3 * cut);
      expect(texts(batch), `cut at byte ${cut}`).toEqual(expected);
      expect(batch.map((r) => r.line)).toEqual([1, 2, 3]);
    }
  });

  it('joins records written one byte per read', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    const payload = Buffer.from('AB 1\r\nCD 2\nEF 3\r');
    const c = await open(port);
    for (let i = 0; i < payload.length; i++) {
      await write(c, payload.subarray(i, i + 1));
      await waitFor('byte read', () => server!.status().bytes === i + 1);
      await new Promise((r) => setImmediate(r));
    }
    await endAndWait(c);
    await waitFor('3 records', () => got.records.length === 3);
    expect(texts(got.records)).toEqual(['AB 1', 'CD 2', 'EF 3']);
  });

  it('takes CR LF, LF and lone CR line ends alike and keeps the last line of a clean close', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    const c = await open(port);
    await write(c, 'crlf\r\nlf\ncr\r\r\n\nlast without newline');
    await endAndWait(c);
    await waitFor('4 records', () => got.records.length === 4);
    expect(texts(got.records)).toEqual(['crlf', 'lf', 'cr', 'last without newline']);
  });

  it('drops the unfinished record of a connection that is reset, and counts it', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    const c = await open(port);
    await write(c, 'complete\r\nhalf a rec');
    await waitFor('bytes read', () => server!.status().bytes === 20);
    c.resetAndDestroy();
    await waitFor('connection gone', () => server!.status().connections === 0);
    await waitFor('record', () => got.records.length === 1);
    expect(texts(got.records)).toEqual(['complete']);
    expect(server!.status().dropped).toBe(1);
  });

  it('cuts a 10 MB line without a newline to one truncated record, holding bounded memory', async () => {
    const got = collect();
    const maxRecordBytes = 4096;
    const port = await listen({ sink: got.sink, maxRecordBytes });
    const c = await open(port);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const baseline = retainedHeap();
    let peak = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      await write(c, chunk);
      if ((sent / chunk.length) % 16 === 15) {
        // Every MB: once the server has read it all, nothing of the line may be held beyond the cap.
        await waitFor('MB read', () => server!.status().bytes === sent + chunk.length);
        peak = Math.max(peak, retainedHeap() - baseline);
      }
    }
    await write(c, '\r\nAFTER 1\r\n');
    await endAndWait(c);
    await waitFor('2 records', () => got.records.length === 2);
    expect(got.records[0]).toMatchObject({ truncated: true, line: 1 });
    expect(got.records[0]!.text).toBe('x'.repeat(maxRecordBytes));
    expect(got.records[1]).toMatchObject({ text: 'AFTER 1', truncated: false, line: 2 });
    // Holding the line would retain ≥ 1 MB at the first sample and 10 MB at the last.
    expect(peak).toBeLessThan(768 * 1024);
  });

  it('survives binary noise and delivers the records after it', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink, maxRecordBytes: 512 });
    const c = await open(port);
    await write(c, noise(256 * 1024, 7));
    await write(c, '\r\nREC AFTER NOISE\r\n');
    await endAndWait(c);
    const c2 = await open(port);
    await write(c2, 'NEXT CONNECTION\r\n');
    await endAndWait(c2);
    await waitFor('the two clean records', () => got.records.some((r) => r.text === 'NEXT CONNECTION'));
    const fromNoise = got.records.filter((r) => r.peer !== got.records.at(-1)!.peer);
    expect(fromNoise.at(-1)!.text).toBe('REC AFTER NOISE');
    expect(fromNoise.every((r) => r.text.length <= 512)).toBe(true);
    expect(got.records.at(-1)).toMatchObject({ text: 'NEXT CONNECTION', line: 1 });
  });

  it('pauses reading while the sink is busy (backpressure) and loses nothing', async () => {
    const { got, release, sink } = firstRecordsWait();
    const port = await listen({ sink });
    const c = await open(port);
    const record = 'R'.repeat(98) + '\r\n';
    const total = 40_000; // 4 MB
    c.write(record.repeat(total / 2));
    c.write(record.repeat(total / 2));
    await waitFor('first record', () => got.length === 1);
    // Once the sender has stopped making progress (its data waits in its socket or the kernel),
    // the collector must have read no more than about one chunk: it stopped reading.
    let last = -1;
    let still = 0;
    await waitFor('sender settled', () => {
      still = c.writableLength === last ? still + 1 : 0;
      last = c.writableLength;
      return still >= 20;
    });
    try {
      expect(server!.status().bytes).toBeLessThan(1024 * 1024);
      expect(got).toHaveLength(1);
    } finally {
      release();
    }
    await waitFor('all records', () => got.length === total);
    expect(got.map((r) => r.line)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('reads no connection while 16 wait on the sink, and delivers everything once they are through', async () => {
    const { got, release, sink } = firstRecordsWait();
    const port = await listen({ sink });
    const waitingOnes = await Promise.all(Array.from({ length: 16 }, () => open(port)));
    waitingOnes.forEach((c, i) => c.write(`first ${i}\nsecond ${i}\n`));
    await waitFor('16 first records', () => got.length === 16);
    const late = await open(port);
    late.write('late\n');
    await new Promise((r) => setTimeout(r, 300));
    try {
      expect(got.map((r) => r.text).filter((t) => t === 'late')).toEqual([]); // not read: its bytes wait in the kernel
      expect(server!.status().connections).toBe(17);
    } finally {
      release();
    }
    await waitFor('every record', () => got.length === 33);
    expect(texts(got).sort()).toEqual([...Array.from({ length: 16 }, (_, i) => [`first ${i}`, `second ${i}`]).flat(), 'late'].sort());
  });

  it('refuses a peer outside the allow-list before reading from it', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink }, { allow: ['127.0.0.1/32'] });
    const refused = await open(port, '127.0.0.2');
    refused.on('error', () => {});
    refused.write('SHOULD NOT ARRIVE\r\n');
    await closed(refused);
    const ok = await open(port, '127.0.0.1');
    await write(ok, 'WELCOME\r\n');
    await endAndWait(ok);
    await waitFor('record', () => got.records.length === 1);
    expect(texts(got.records)).toEqual(['WELCOME']);
    expect(server!.status().dropped).toBe(1);
  });

  it('routes two PBXs on one port to two targets by source address', async () => {
    const a = collect();
    const b = collect();
    server = await startTcpServer({
      host: '127.0.0.1',
      port: 0,
      routes: [
        { name: 'pbx-b', from: ['127.0.0.2'], framing: { kind: 'stx-etx' }, sink: b.sink },
        { name: 'pbx-a', framing: lines, sink: a.sink },
      ],
    });
    const port = server.address().port;
    const ca = await open(port, '127.0.0.1');
    const cb = await open(port, '127.0.0.2');
    await write(ca, 'A one\r\nA two\r\n');
    await write(cb, '\x02B one\x03\x02B two\x03');
    await Promise.all([endAndWait(ca), endAndWait(cb)]);
    await waitFor('records', () => a.records.length === 2 && b.records.length === 2);
    expect(texts(a.records)).toEqual(['A one', 'A two']);
    expect(texts(b.records)).toEqual(['B one', 'B two']);
    expect(b.records[0]!.peer).toMatch(/^tcp:\/\/127\.0\.0\.2:/);
  });

  it('refuses a peer no route takes', async () => {
    const a = collect();
    server = await startTcpServer({ host: '127.0.0.1', port: 0, routes: [{ from: ['127.0.0.1'], framing: lines, sink: a.sink }] });
    const c = await open(server.address().port, '127.0.0.3');
    c.on('error', () => {});
    await closed(c);
    expect(server.status()).toMatchObject({ dropped: 1, connections: 0 });
  });

  it('refuses connections beyond maxConnections', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink }, { maxConnections: 2 });
    await open(port);
    await open(port);
    await waitFor('2 connections', () => server!.status().connections === 2);
    const third = await open(port);
    third.on('error', () => {});
    await closed(third);
    expect(server!.status()).toMatchObject({ connections: 2, dropped: 1 });
  });

  it('closes a silent connection after the idle timeout but keeps one that sends a byte per second', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink }, { idleTimeoutMs: 2500 });
    const silent = await open(port);
    const trickle = await open(port);
    for (const ch of 'S 42\n') {
      await write(trickle, ch);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await closed(silent);
    expect(trickle.destroyed).toBe(false);
    expect(texts(got.records)).toEqual(['S 42']);
    expect(got.records[0]!.line).toBe(1);
    expect(server!.status().lastError).toMatch(/idle for 2500 ms; closed$/);
    await endAndWait(trickle);
  });

  it('takes a storm of 100 reconnects, each with a record and a clean close', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    // Five waves of 20 PBX connections at once, each sending a record and closing.
    for (let wave = 0; wave < 5; wave++) {
      const cs = await Promise.all(Array.from({ length: 20 }, () => open(port)));
      cs.forEach((c, k) => {
        c.end(`storm ${wave * 20 + k + 1}\r\n`);
        c.resume();
      });
    }
    await waitFor('100 records', () => got.records.length === 100);
    await waitFor('connections closed', () => server!.status().connections === 0);
    expect(new Set(texts(got.records))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `storm ${i + 1}`)));
    expect(server!.status()).toMatchObject({ records: 100, reconnects: 99, connections: 0 });
  });

  it('stop ends open connections cleanly and stops accepting', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    const c = await open(port);
    await write(c, 'before stop\r\npartial');
    await waitFor('read', () => server!.status().bytes === 20);
    const ended = new Promise<void>((resolve) => c.once('end', () => resolve()));
    c.on('end', () => c.end());
    await server!.stop();
    await ended;
    expect(texts(got.records)).toEqual(['before stop', 'partial']);
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/);
    server = null;
  });

  it('names the address it cannot listen on', async () => {
    const got = collect();
    const port = await listen({ sink: got.sink });
    await expect(startTcpServer({ host: '127.0.0.1', port, routes: [{ framing: lines, sink: got.sink }] })).rejects.toThrow(
      `cannot listen on tcp://127.0.0.1:${port}: address already in use`,
    );
  });

  it('rejects a malformed allow-list entry by name', async () => {
    await expect(
      startTcpServer({ host: '127.0.0.1', port: 0, allow: ['10.0.0.0/33'], routes: [{ framing: lines, sink: () => undefined }] }),
    ).rejects.toThrow('allow: "10.0.0.0/33" is not an IP address or CIDR block');
  });
});
